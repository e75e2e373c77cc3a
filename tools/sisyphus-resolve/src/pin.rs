//! Tag → digest: every distinct config image reference is resolved once per run (a tag is
//! never trusted from an earlier run; a digest reference needs no request).

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt as _};
use sisyphus_core::Digest;
use sisyphus_registry::{Client, Reference};

use crate::Error;
use crate::usage::Users;

/// A config image reference and the digest it points to now.
pub(crate) struct Pinned {
    /// The parsed reference as written.
    pub reference: Reference,
    /// The digest.
    pub digest: Digest,
}

/// Parse and resolve every image in `images`, at most `concurrency` requests at a time; an
/// image in `pins` takes that digest without a request. Returns the pinned ones by image as
/// written, and an error for each of the others.
pub(crate) async fn pin_all(
    client: &Client,
    images: &BTreeMap<String, Users>,
    pins: &BTreeMap<String, Digest>,
    concurrency: usize,
) -> (BTreeMap<String, Pinned>, Vec<Error>) {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    let mut pinned = BTreeMap::new();
    for (image, users) in images {
        match image.parse::<Reference>() {
            Ok(reference) => match pins.get(image) {
                Some(digest) => {
                    pinned.insert(
                        image.clone(),
                        Pinned {
                            reference,
                            digest: digest.clone(),
                        },
                    );
                }
                None => parsed.push((image, users, reference)),
            },
            Err(source) => errors.push(Error::Reference {
                location: users.location(),
                image: image.clone(),
                users: users.clone(),
                source,
            }),
        }
    }
    let results: Vec<_> = stream::iter(parsed)
        .map(|(image, users, reference)| async move {
            let digest = sisyphus_registry::resolve(client, &reference).await;
            (image, users, reference, digest)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for (image, users, reference, digest) in results {
        match digest {
            Ok(digest) => {
                pinned.insert(image.clone(), Pinned { reference, digest });
            }
            Err(source) => errors.push(Error::Resolve {
                location: users.location(),
                image: image.clone(),
                users: users.clone(),
                source,
            }),
        }
    }
    (pinned, errors)
}
