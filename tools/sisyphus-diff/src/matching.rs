//! Matching desired objects to recorded ones without a lookup per object: both sides are walked
//! once, in [`ObjectId`] order, comparing keys and ids field by field (no id is built, nothing
//! is allocated). In come items with keys and the recorded map; out go the pairs and the
//! recorded objects no item matched. Touches nothing.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use sisyphus_core::desired::ObjectKey;
use sisyphus_core::state::{ObjectId, RecordedObject};

/// `key`'s identity against `id`, in [`ObjectId`]'s order (cluster, group, kind, namespace,
/// name).
pub(crate) fn cmp_key_id(key: &ObjectKey, id: &ObjectId) -> Ordering {
    (
        key.cluster.as_str(),
        key.group.as_str(),
        key.kind.as_str(),
        key.namespace.as_deref(),
        key.name.as_str(),
    )
        .cmp(&(
            id.cluster.as_str(),
            id.group.as_str(),
            id.kind.as_str(),
            id.namespace.as_deref(),
            id.name.as_str(),
        ))
}

/// Two keys' identities, in [`ObjectId`]'s order (the version ignored).
fn cmp_ids(a: &ObjectKey, b: &ObjectKey) -> Ordering {
    (
        a.cluster.as_str(),
        a.group.as_str(),
        a.kind.as_str(),
        a.namespace.as_deref(),
        a.name.as_str(),
    )
        .cmp(&(
            b.cluster.as_str(),
            b.group.as_str(),
            b.kind.as_str(),
            b.namespace.as_deref(),
            b.name.as_str(),
        ))
}

/// Calls `matched` for every item with the recorded object of the same identity (if any), and
/// `unmatched` for every recorded object no item has, each side in id order.
///
/// Items with the same identity (the same object at two versions) all match the one record.
/// The items are sorted first; [`ObjectKey`]'s order already agrees with [`ObjectId`]'s, so for
/// a `DesiredObjects` map that sort only checks.
pub(crate) fn walk<'s, T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> &ObjectKey,
    recorded: &'s BTreeMap<ObjectId, RecordedObject>,
    mut matched: impl FnMut(T, Option<&'s RecordedObject>),
    mut unmatched: impl FnMut(&'s ObjectId, &'s RecordedObject),
) {
    items.sort_by(|a, b| cmp_ids(key(a), key(b)));
    let mut records = recorded.iter().peekable();
    // The record the previous item matched: it is not unmatched when the walk passes it.
    let mut last: Option<&'s ObjectId> = None;
    for item in items {
        let mut found = None;
        while let Some(&(id, record)) = records.peek() {
            match cmp_key_id(key(&item), id) {
                Ordering::Greater => {
                    if last.is_none_or(|last| !std::ptr::eq(last, id)) {
                        unmatched(id, record);
                    }
                    records.next();
                }
                Ordering::Equal => {
                    found = Some(record);
                    last = Some(id);
                    break;
                }
                Ordering::Less => break,
            }
        }
        matched(item, found);
    }
    for (id, record) in records {
        if last.is_none_or(|last| !std::ptr::eq(last, id)) {
            unmatched(id, record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(
        cluster: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        version: &str,
    ) -> ObjectKey {
        ObjectKey {
            cluster: cluster.into(),
            group: String::new(),
            version: version.into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: name.into(),
        }
    }

    fn record(key: &ObjectKey) -> (ObjectId, RecordedObject) {
        (
            ObjectId::of(key),
            RecordedObject {
                key: key.clone(),
                applied: "{}".into(),
                applied_hash: String::new(),
                uid: None,
                resource_version: None,
                config: None,
                resource: None,
                push_id: 1,
                created: true,
            },
        )
    }

    #[test]
    fn object_key_order_agrees_with_object_id_order() {
        // If sisyphus-core ever orders keys differently, the walk still works (it sorts), but
        // this says the sort stopped being free.
        let mut keys = [
            key("b", "Service", Some("a"), "x", "v1"),
            key("a", "Service", None, "x", "v1"),
            key("a", "Service", Some(""), "x", "v1"),
            key("a", "Namespace", None, "z", "v2"),
            key("a", "Namespace", None, "z", "v1"),
            key("a", "Service", Some("a"), "y", "v1"),
            key("a", "Service", Some("a"), "", "v1"),
        ];
        keys.sort();
        let ids: Vec<ObjectId> = keys.iter().map(ObjectId::of).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        for (k, id) in keys.iter().zip(&ids) {
            assert_eq!(cmp_key_id(k, id), Ordering::Equal);
        }
    }

    #[test]
    fn walks_both_sides_once_and_matches_every_version() {
        let a = key("c", "Service", Some("ns"), "a", "v1");
        let b1 = key("c", "Service", Some("ns"), "b", "v1");
        let b2 = key("c", "Service", Some("ns"), "b", "v2");
        let c = key("c", "Service", Some("ns"), "c", "v1");
        let d = key("c", "Service", Some("ns"), "d", "v1");
        let recorded: BTreeMap<ObjectId, RecordedObject> =
            [record(&a), record(&b1), record(&d)].into_iter().collect();
        let mut pairs = Vec::new();
        let mut left = Vec::new();
        walk(
            vec![c.clone(), b1.clone(), b2.clone()],
            |k| k,
            &recorded,
            |k, r| pairs.push((k.name.clone(), k.version.clone(), r.is_some())),
            |id, _| left.push(id.name.clone()),
        );
        let shown: Vec<(&str, &str, bool)> = pairs
            .iter()
            .map(|(n, v, r)| (n.as_str(), v.as_str(), *r))
            .collect();
        assert_eq!(
            shown,
            [("b", "v1", true), ("b", "v2", true), ("c", "v1", false)]
        );
        assert_eq!(left, ["a", "d"]);
    }
}
