//! Targets (datacenters, managers, backends): interned names and cheap ids.

use std::collections::HashMap;
use std::fmt;

use crate::error::ConfigError;

/// A registered target: a cheap `Copy` handle. Names are for humans and exports.
///
/// Ids come from a [`TargetRegistry`] and are never reused: after a target is removed,
/// its id stays unknown, even if a target of the same name is registered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(u32);

impl TargetId {
    /// The id with the given index. Ids normally come from a registry; this is for
    /// tools and tests that build observations by hand.
    pub const fn from_index(index: u32) -> Self {
        TargetId(index)
    }

    /// The index of this id, dense from 0 in registration order.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "target#{}", self.0)
    }
}

/// Interns target names: one id per live name.
///
/// # Examples
///
/// ```
/// use slo_router::target::TargetRegistry;
///
/// let mut targets = TargetRegistry::default();
/// let east = targets.register("dc-east")?;
/// assert_eq!(targets.register("dc-east")?, east); // interned
/// assert_eq!(targets.name(east), Some("dc-east"));
/// assert!(targets.remove(east));
/// assert_eq!(targets.name(east), None);
/// assert_ne!(targets.register("dc-east")?, east); // ids are never reused
/// # Ok::<(), slo_router::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TargetRegistry {
    names: Vec<Option<Box<str>>>,
    ids: HashMap<Box<str>, TargetId>,
}

impl TargetRegistry {
    /// The id of `name`, registering it if new. Names must be non-empty.
    pub fn register(&mut self, name: &str) -> Result<TargetId, ConfigError> {
        if name.is_empty() {
            return Err(ConfigError::new("target name", "\"\"", "a non-empty name"));
        }
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let index = u32::try_from(self.names.len())
            .map_err(|_| ConfigError::new("target name", name, "fewer than 2^32 targets"))?;
        let id = TargetId(index);
        self.names.push(Some(name.into()));
        self.ids.insert(name.into(), id);
        Ok(id)
    }

    /// Removes `id`; `false` when it was not registered.
    pub fn remove(&mut self, id: TargetId) -> bool {
        match self.names.get_mut(id.index()).and_then(Option::take) {
            Some(name) => {
                self.ids.remove(&name);
                true
            }
            None => false,
        }
    }

    /// `true` when `id` is registered and not removed.
    pub fn contains(&self, id: TargetId) -> bool {
        self.names.get(id.index()).is_some_and(Option::is_some)
    }

    /// The id of a registered name.
    pub fn id(&self, name: &str) -> Option<TargetId> {
        self.ids.get(name).copied()
    }

    /// The name of a registered id.
    pub fn name(&self, id: TargetId) -> Option<&str> {
        self.names.get(id.index())?.as_deref()
    }

    /// Registered ids, in registration order.
    pub fn ids(&self) -> impl Iterator<Item = TargetId> + '_ {
        self.names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_some())
            .map(|(i, _)| TargetId(i as u32))
    }

    /// How many ids were ever issued (live or removed): the bound for dense tables.
    pub fn capacity(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_names_are_refused() {
        let mut r = TargetRegistry::default();
        assert_eq!(r.register("").unwrap_err().field(), "target name");
    }

    #[test]
    fn ids_lists_live_targets_in_order() {
        let mut r = TargetRegistry::default();
        let a = r.register("a").unwrap();
        let b = r.register("b").unwrap();
        let c = r.register("c").unwrap();
        r.remove(b);
        assert_eq!(r.ids().collect::<Vec<_>>(), vec![a, c]);
        assert!(!r.remove(b));
        assert_eq!(r.id("b"), None);
        assert_eq!(r.capacity(), 3);
    }
}
