//! Port numbers: explicit ones are kept; a name declared without a number gets
//! `20000 + fnv1a32(name) % 10000`, probing upward (wrapping inside 20000–29999) past numbers used
//! explicitly anywhere or already assigned, names processed in sorted order. The number does not
//! depend on the environment, and adding a port does not move the others unless their slots
//! collide.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::PortSpec;

const BASE: u32 = 20000;
const RANGE: u32 = 10000;

/// 32-bit FNV-1a of `s`.
pub(crate) fn fnv1a32(s: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The assigned number of every port name declared without a number somewhere, given every
/// `Port` in every environment branch. `None` if the range is exhausted.
pub(crate) fn assign<'a>(
    ports: impl IntoIterator<Item = &'a PortSpec>,
) -> Option<BTreeMap<String, u16>> {
    let mut explicit = BTreeSet::new();
    let mut auto = BTreeSet::new();
    for p in ports {
        match p.number {
            Some(n) => {
                explicit.insert(u32::from(n));
            }
            None => {
                auto.insert(p.name.as_str());
            }
        }
    }
    let mut taken = explicit;
    let mut out = BTreeMap::new();
    for name in auto {
        let start = fnv1a32(name) % RANGE;
        let offset = (0..RANGE)
            .map(|i| (start + i) % RANGE)
            .find(|o| !taken.contains(&(BASE + o)))?;
        taken.insert(BASE + offset);
        out.insert(name.to_owned(), u16::try_from(BASE + offset).ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sisyphus_core::app::Protocol;

    fn port(name: &str, number: Option<u16>) -> PortSpec {
        PortSpec {
            name: name.to_owned(),
            number,
            protocol: Protocol::Tcp,
            span: None,
        }
    }

    #[test]
    fn fnv_matches_reference_vectors() {
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
        assert_eq!(fnv1a32("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn skips_explicit_and_assigned_numbers() {
        let http = 20000 + (fnv1a32("http") % 10000) as u16;
        let got = assign(&[port("x", Some(http)), port("http", None)]).unwrap_or_default();
        assert_eq!(got.get("http"), Some(&(http + 1)));
    }
}
