//! The discrete-event simulation: requests travel to targets with their own RTT,
//! service time and capacity (servers plus a queue), so routing choices feed back into
//! latency. Virtual time in integer nanoseconds; one event heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Exp, StandardNormal};

use super::metrics::Recorded;
use super::policy::{Policy, TargetView};
use super::scenario::Scenario;

const NANOS_PER_MS: f64 = 1e6;
/// How often the engine publishes (its default merge interval) and targets report
/// their load.
pub(crate) const TICK_NS: u64 = 100_000_000;

fn ns(ms: f64) -> u64 {
    (ms * NANOS_PER_MS).round() as u64
}

/// The request stream: arrival gaps and service draws from one seeded generator, so
/// every policy sees the same requests (in closed loop, the same sequence of draws).
pub(crate) struct RequestStream {
    rng: StdRng,
    gaps: Option<Exp<f64>>,
}

impl RequestStream {
    pub(crate) fn new(scenario: &Scenario, seed: u64) -> Self {
        RequestStream {
            rng: StdRng::seed_from_u64(seed),
            gaps: scenario
                .load
                .rate_per_s
                .map(|rate| Exp::new(rate / 1e9).expect("validated rate")),
        }
    }

    /// The gap to the next open-loop arrival, in ns.
    fn next_gap(&mut self) -> u64 {
        let gaps = self.gaps.expect("open loop");
        self.rng.sample(gaps).round() as u64
    }

    /// The standard normal draw that sets a request's service time.
    fn next_draw(&mut self) -> f64 {
        self.rng.sample(StandardNormal)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival,
    ClientSend(u32),
    AtTarget(u32),
    ServiceDone(u32),
    Response(u32),
    Tick,
}

struct Request {
    sent: u64,
    target: u32,
    draw: f64,
    client: u32,
    refused: bool,
}

struct Effect {
    start: u64,
    end: u64,
    multiplier: Option<f64>,
    stuck_ns: Option<u64>,
}

struct TargetState {
    rtt_ns: u64,
    servers: u32,
    busy: u32,
    queue: VecDeque<u32>,
    queue_limit: Option<u32>,
    median_ms: f64,
    sigma: f64,
    effects: Vec<Effect>,
}

impl TargetState {
    fn service_ns(&self, draw: f64, now: u64) -> u64 {
        let mut ms = self.median_ms * (self.sigma * draw).exp();
        for e in self
            .effects
            .iter()
            .filter(|e| (e.start..e.end).contains(&now))
        {
            if let Some(stuck) = e.stuck_ns {
                return stuck;
            }
            ms *= e.multiplier.unwrap_or(1.0);
        }
        ns(ms).max(1)
    }
}

/// One policy's run over the scenario.
pub(crate) struct Simulation<'a> {
    end: u64,
    /// The most requests this run sends (memory: ~40 bytes each).
    max_requests: usize,
    /// When the run reached `max_requests`, if it did.
    capped_at: Option<u64>,
    closed_loop: bool,
    now: u64,
    seq: u64,
    events: BinaryHeap<Reverse<(u64, u64, Event)>>,
    targets: Vec<TargetState>,
    views: Vec<TargetView>,
    requests: Vec<Request>,
    stream: RequestStream,
    policy: Policy,
    recorded: &'a mut Recorded,
}

impl<'a> Simulation<'a> {
    pub(crate) fn new(
        scenario: &Scenario,
        max_requests: usize,
        stream: RequestStream,
        policy: Policy,
        recorded: &'a mut Recorded,
    ) -> Self {
        let targets: Vec<TargetState> = scenario
            .targets
            .iter()
            .map(|t| TargetState {
                rtt_ns: ns(t.rtt_ms),
                servers: t.servers,
                busy: 0,
                queue: VecDeque::new(),
                queue_limit: t.queue_limit,
                median_ms: t.service.median_ms,
                sigma: t.service.sigma,
                effects: scenario
                    .incidents
                    .iter()
                    .filter(|i| i.target == t.name)
                    .map(|i| Effect {
                        start: ns(i.start_s * 1e3),
                        end: ns((i.start_s + i.duration_s) * 1e3),
                        multiplier: i.service_multiplier,
                        stuck_ns: i.stuck_ms.map(ns),
                    })
                    .collect(),
            })
            .collect();
        let mut sim = Simulation {
            end: ns(scenario.duration_s * 1e3),
            max_requests,
            capped_at: None,
            closed_loop: scenario.load.clients.is_some(),
            now: 0,
            seq: 0,
            events: BinaryHeap::new(),
            views: targets
                .iter()
                .map(|t| TargetView {
                    rtt_ms: t.rtt_ns as f64 / NANOS_PER_MS,
                    servers: t.servers,
                    busy: 0,
                    queued: 0,
                    pending: 0,
                })
                .collect(),
            targets,
            requests: Vec::new(),
            stream,
            policy,
            recorded,
        };
        match scenario.load.clients {
            Some(clients) => (0..clients).for_each(|c| sim.schedule(0, Event::ClientSend(c))),
            None => sim.schedule(0, Event::Arrival),
        }
        sim.schedule(0, Event::Tick);
        sim
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.events.push(Reverse((at, self.seq, event)));
    }

    fn now_s(&self) -> f64 {
        self.now as f64 / 1e9
    }

    /// The targets' load reports, as of now. `pending` is the client's own count and
    /// always live.
    fn report_load(&mut self) {
        for (view, target) in self.views.iter_mut().zip(&self.targets) {
            view.busy = target.busy;
            view.queued = target.queue.len() as u32;
        }
    }

    /// Runs to the end: arrivals stop at the scenario's duration (or at `max_requests`,
    /// whose virtual time in seconds is returned), and every request sent is answered
    /// before this returns. `progress` gets the virtual time in ns.
    pub(crate) fn run(mut self, mut progress: impl FnMut(u64)) -> Option<f64> {
        while let Some(Reverse((at, _, event))) = self.events.pop() {
            self.now = at;
            match event {
                Event::Arrival => {
                    if self.now < self.end {
                        self.send(0);
                        let gap = self.stream.next_gap();
                        self.schedule(self.now + gap, Event::Arrival);
                    }
                }
                Event::ClientSend(client) => {
                    if self.now < self.end {
                        self.send(client);
                    }
                }
                Event::AtTarget(req) => self.arrive(req),
                Event::ServiceDone(req) => self.finish_service(req),
                Event::Response(req) => self.respond(req),
                Event::Tick => {
                    // Load reports are as of the tick: between ticks policies see the
                    // load as last reported.
                    self.report_load();
                    let now_s = self.now_s();
                    self.policy.on_tick(now_s, &self.views);
                    progress(self.now.min(self.end));
                    // No routing decision is made after the arrivals stop: the drain
                    // needs no ticks, however long it takes.
                    if self.now < self.end {
                        self.schedule(self.now + TICK_NS, Event::Tick);
                    }
                }
            }
        }
        self.capped_at.map(|at| at as f64 / 1e9)
    }

    fn send(&mut self, client: u32) {
        if self.requests.len() >= self.max_requests {
            // Arrivals stop here; the caller reports it.
            self.capped_at.get_or_insert(self.now);
            return;
        }
        let target = self.policy.choose(self.now_s(), &self.views);
        let draw = self.stream.next_draw();
        let id = self.requests.len() as u32;
        self.requests.push(Request {
            sent: self.now,
            target: target as u32,
            draw,
            client,
            refused: false,
        });
        self.views[target].pending += 1;
        self.recorded.dispatched(self.now, target);
        let at = self.now + self.targets[target].rtt_ns / 2;
        self.schedule(at, Event::AtTarget(id));
    }

    fn arrive(&mut self, req: u32) {
        let request = &self.requests[req as usize];
        let target = &mut self.targets[request.target as usize];
        if target.busy < target.servers {
            target.busy += 1;
            let done = self.now + target.service_ns(request.draw, self.now);
            self.schedule(done, Event::ServiceDone(req));
        } else if target
            .queue_limit
            .is_some_and(|limit| target.queue.len() >= limit as usize)
        {
            self.requests[req as usize].refused = true;
            let back = self.now + target.rtt_ns / 2;
            self.schedule(back, Event::Response(req));
        } else {
            target.queue.push_back(req);
        }
    }

    fn finish_service(&mut self, req: u32) {
        let t = self.requests[req as usize].target as usize;
        let back = self.now + self.targets[t].rtt_ns / 2;
        self.schedule(back, Event::Response(req));
        match self.targets[t].queue.pop_front() {
            Some(next) => {
                let draw = self.requests[next as usize].draw;
                let done = self.now + self.targets[t].service_ns(draw, self.now);
                self.schedule(done, Event::ServiceDone(next));
            }
            None => self.targets[t].busy -= 1,
        }
    }

    fn respond(&mut self, req: u32) {
        let request = &self.requests[req as usize];
        let (target, client, refused) = (request.target as usize, request.client, request.refused);
        let latency_ms = (self.now - request.sent) as f64 / NANOS_PER_MS;
        self.views[target].pending -= 1;
        if refused {
            self.recorded.refused();
        } else {
            self.recorded.completed(self.now, target, latency_ms);
            self.policy.on_response(target, latency_ms, self.now_s());
        }
        if self.closed_loop && self.now < self.end {
            self.schedule(self.now, Event::ClientSend(client));
        }
    }
}
