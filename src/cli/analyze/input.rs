//! Reading a latency log: CSV with a `timestamp_ms,target,kind,latency_ms` header (any
//! column order) or JSON lines with those keys, told apart by the first line.

use std::fmt;
use std::io::BufRead;

use serde::Deserialize;
use slo_router::window::LatencyKind;

/// One valid row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub(crate) timestamp_ms: f64,
    pub(crate) target: &'a str,
    pub(crate) kind: LatencyKind,
    pub(crate) latency_ms: f64,
}

/// Why a line was refused (the line number is added by the reader).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LineError {
    Columns(usize),
    Number { column: &'static str, text: String },
    Negative { column: &'static str },
    Kind(String),
    Target,
    Json(String),
    Encoding,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Columns(n) => write!(f, "expected 4 columns, found {n}"),
            LineError::Number { column, text } => write!(f, "{column}: '{text}' is not a number"),
            LineError::Negative { column } => {
                write!(f, "{column}: must be a finite value of at least 0")
            }
            LineError::Kind(kind) => write!(
                f,
                "kind: '{kind}' is not one of dispatch, response, e2e, network"
            ),
            LineError::Target => f.write_str("target: empty"),
            LineError::Json(e) => write!(f, "invalid JSON: {e}"),
            LineError::Encoding => f.write_str("not valid UTF-8"),
        }
    }
}

/// Why the log as a whole cannot be read.
#[derive(Debug)]
pub(crate) enum InputError {
    Header(String),
    Io(std::io::Error),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Header(why) => write!(f, "line 1: {why}"),
            InputError::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

impl std::error::Error for InputError {}

fn parse_kind(text: &str) -> Result<LatencyKind, LineError> {
    match text {
        "dispatch" => Ok(LatencyKind::Dispatch),
        "response" => Ok(LatencyKind::Response),
        "e2e" | "end-to-end" => Ok(LatencyKind::EndToEnd),
        "network" => Ok(LatencyKind::Network),
        other => Err(LineError::Kind(other.to_owned())),
    }
}

fn parse_value(column: &'static str, text: &str) -> Result<f64, LineError> {
    let value: f64 = text.trim().parse().map_err(|_| LineError::Number {
        column,
        text: text.to_owned(),
    })?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(LineError::Negative { column });
    }
    Ok(value)
}

const COLUMNS: [&str; 4] = ["timestamp_ms", "target", "kind", "latency_ms"];

/// The format, and for CSV where each column sits.
enum Format {
    /// `order[i]` is the position of `COLUMNS[i]`.
    Csv {
        order: [usize; 4],
    },
    JsonLines,
}

#[derive(Deserialize)]
struct JsonRow<'a> {
    timestamp_ms: f64,
    #[serde(borrow)]
    target: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    latency_ms: f64,
}

/// Reads rows one line at a time into a reused buffer: constant memory for any size.
pub(crate) struct LogReader<R> {
    input: R,
    format: Format,
    line: Vec<u8>,
    /// JSON targets with escapes are unescaped here.
    owned_target: String,
    pub(crate) line_number: u64,
}

impl<R: BufRead> LogReader<R> {
    /// Reads the first line to tell the format: a CSV header or a JSON object.
    pub(crate) fn new(mut input: R) -> Result<Self, InputError> {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).map_err(InputError::Io)? == 0 {
            return Err(InputError::Header("empty input: no header".to_owned()));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| InputError::Header("not valid UTF-8".to_owned()))?
            .trim_end_matches(['\n', '\r']);
        let mut reader = LogReader {
            input,
            format: Format::JsonLines,
            line: Vec::new(),
            owned_target: String::new(),
            line_number: 1,
        };
        if text.trim_start().starts_with('{') {
            // JSON lines: the first line is already a row; keep it for `next`.
            reader.line = line;
            reader.line_number = 0;
            return Ok(reader);
        }
        let names: Vec<&str> = text.split(',').map(str::trim).collect();
        let mut order = [0; 4];
        for (slot, wanted) in order.iter_mut().zip(COLUMNS) {
            *slot = names.iter().position(|&n| n == wanted).ok_or_else(|| {
                InputError::Header(format!(
                    "missing column '{wanted}' (want a CSV header timestamp_ms,target,kind,latency_ms or JSON lines)"
                ))
            })?;
        }
        if names.len() != 4 {
            return Err(InputError::Header(format!(
                "expected the 4 columns {}, found {}",
                COLUMNS.join(","),
                names.len()
            )));
        }
        reader.format = Format::Csv { order };
        Ok(reader)
    }

    /// The next non-empty line's row: `None` at the end, `Some(Err)` for a bad line
    /// (its number is `self.line_number`).
    pub(crate) fn next_row(&mut self) -> Option<Result<Row<'_>, LineError>> {
        loop {
            if self.line_number > 0 || matches!(self.format, Format::Csv { .. }) {
                self.line.clear();
                match self.input.read_until(b'\n', &mut self.line) {
                    Ok(0) => return None,
                    Ok(_) => {}
                    Err(_) => return Some(Err(LineError::Encoding)),
                }
            } else if self.line.is_empty() {
                return None;
            }
            self.line_number += 1;
            let mut end = self.line.len();
            while end > 0 && matches!(self.line[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if self.line[..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(&self.line[..end]) else {
                return Some(Err(LineError::Encoding));
            };
            return Some(match self.format {
                Format::Csv { order } => parse_csv(text, order),
                Format::JsonLines => parse_json(text, &mut self.owned_target),
            });
        }
    }
}

fn parse_csv(text: &str, order: [usize; 4]) -> Result<Row<'_>, LineError> {
    let mut fields = [""; 4];
    let mut n = 0;
    for field in text.split(',') {
        if n < 4 {
            fields[n] = field;
        }
        n += 1;
    }
    if n != 4 {
        return Err(LineError::Columns(n));
    }
    let target = fields[order[1]].trim();
    if target.is_empty() {
        return Err(LineError::Target);
    }
    Ok(Row {
        timestamp_ms: parse_value("timestamp_ms", fields[order[0]])?,
        target,
        kind: parse_kind(fields[order[2]].trim())?,
        latency_ms: parse_value("latency_ms", fields[order[3]])?,
    })
}

fn parse_json<'a>(text: &'a str, owned: &'a mut String) -> Result<Row<'a>, LineError> {
    let row: JsonRow<'a> =
        serde_json::from_str(text).map_err(|e| LineError::Json(e.to_string()))?;
    let check = |column, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(LineError::Negative { column })
        }
    };
    let kind = parse_kind(&row.kind)?;
    let target: &'a str = match row.target {
        std::borrow::Cow::Borrowed(t) => t,
        std::borrow::Cow::Owned(t) => {
            *owned = t;
            owned.as_str()
        }
    };
    if target.is_empty() {
        return Err(LineError::Target);
    }
    Ok(Row {
        timestamp_ms: check("timestamp_ms", row.timestamp_ms)?,
        target,
        kind,
        latency_ms: check("latency_ms", row.latency_ms)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's fields, or the bad line's number and error.
    type Parsed = Result<(f64, String, LatencyKind, f64), (u64, LineError)>;

    fn rows(text: &str) -> Vec<Parsed> {
        let mut reader = LogReader::new(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        loop {
            match reader.next_row() {
                None => return out,
                Some(Ok(r)) => out.push(Ok((
                    r.timestamp_ms,
                    r.target.to_owned(),
                    r.kind,
                    r.latency_ms,
                ))),
                Some(Err(e)) => out.push(Err((reader.line_number, e))),
            }
        }
    }

    #[test]
    fn csv_columns_in_any_order_and_bad_lines_named() {
        let got = rows(
            "kind,latency_ms,target,timestamp_ms\ne2e,12.5,a,1000\n\nnetwork,-1,a,2\nfoo,1,a,2\n1,2\n",
        );
        assert_eq!(
            got[0],
            Ok((1000.0, "a".to_owned(), LatencyKind::EndToEnd, 12.5))
        );
        assert_eq!(
            got[1],
            Err((
                4,
                LineError::Negative {
                    column: "latency_ms"
                }
            ))
        );
        assert_eq!(got[2], Err((5, LineError::Kind("foo".to_owned()))));
        assert_eq!(got[3], Err((6, LineError::Columns(2))));
    }

    #[test]
    fn json_lines_are_detected() {
        let got = rows(
            "{\"timestamp_ms\": 5, \"target\": \"b\\u0041\", \"kind\": \"dispatch\", \"latency_ms\": 3}\n{\"timestamp_ms\": 6}\n",
        );
        assert_eq!(
            got[0],
            Ok((5.0, "bA".to_owned(), LatencyKind::Dispatch, 3.0))
        );
        assert!(matches!(got[1], Err((2, LineError::Json(_)))));
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = LogReader::new("timestamp_ms,target,latency_ms\n".as_bytes())
            .err()
            .unwrap();
        assert!(err.to_string().contains("missing column 'kind'"), "{err}");
    }
}
