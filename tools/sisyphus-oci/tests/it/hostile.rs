//! Hostile config image layers (issue #11, items 2, 6 and 8): bombs, ambiguous archives and
//! bad `binary_repository` values are refused with an error naming the limit or the entry.
//! <https://github.com/sisyphus/sisyphus/issues/11>

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};

use sisyphus_oci::layer::{MAX_ENTRIES, MAX_UNCOMPRESSED_SIZE, read_files};
use sisyphus_oci::{ConfigImage, Error, sha256};
use tar::{EntryType, Header};

const DIGEST: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

/// A tar+gzip stream of `entries`: (raw name bytes, type, size, data source byte).
fn tar_gz(entries: &[(&[u8], EntryType, u64)]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0u8; 1 << 20];
    for (name, kind, size) in entries {
        let mut header = Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_size(*size);
        header.set_mode(0o644);
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        header.set_cksum();
        gz.write_all(header.as_bytes()).unwrap();
        let mut left = *size;
        while left > 0 {
            let n = left.min(zeros.len() as u64);
            gz.write_all(&zeros[..n as usize]).unwrap();
            left -= n;
        }
        let pad = (512 - size % 512) % 512;
        gz.write_all(&vec![0u8; pad as usize]).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

fn read(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    read_files(&sha256(bytes), bytes, true, &mut files).map(|()| files)
}

#[test]
fn a_gzip_bomb_is_refused_while_it_is_read() {
    // 1.6 GiB of zeros compressed to about 1.6 MiB expanded in memory and in the cache; the
    // same ratio at 256 MiB keeps the test fast.
    let bomb = tar_gz(&[(b"main.star", EntryType::Regular, 256 << 20)]);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let start = Instant::now();
    let err = read(&bomb).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        err.to_string().contains(&format!(
            "holds more than {MAX_UNCOMPRESSED_SIZE} bytes once decompressed"
        )),
        "{err}"
    );
    // Many small files add up to the same limit.
    let many: Vec<(Vec<u8>, EntryType, u64)> = (0..70)
        .map(|i| {
            (
                format!("f{i}.star").into_bytes(),
                EntryType::Regular,
                1 << 20,
            )
        })
        .collect();
    let many: Vec<(&[u8], EntryType, u64)> = many
        .iter()
        .map(|(n, k, s)| (n.as_slice(), *k, *s))
        .collect();
    let err = read(&tar_gz(&many)).unwrap_err();
    assert!(matches!(err, Error::Uncompressed { .. }), "{err}");
}

#[test]
fn too_many_entries_are_refused() {
    let names: Vec<Vec<u8>> = (0..=MAX_ENTRIES)
        .map(|i| format!("d{i}/").into_bytes())
        .collect();
    let entries: Vec<(&[u8], EntryType, u64)> = names
        .iter()
        .map(|n| (n.as_slice(), EntryType::Directory, 0))
        .collect();
    let err = read(&tar_gz(&entries)).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("holds more than {MAX_ENTRIES} entries")),
        "{err}"
    );
}

#[test]
fn ambiguous_archives_are_refused() {
    for (entries, expected) in [
        (
            vec![(&b"main.star"[..], 1), (&b"main.star"[..], 2)],
            "duplicate path `main.star`",
        ),
        (
            vec![(&b"index.json"[..], 1), (&b"./index.json"[..], 2)],
            "duplicate path `index.json`",
        ),
        (
            vec![(&b"lib"[..], 1), (&b"lib/a.star"[..], 2)],
            "both a file and a directory",
        ),
        (vec![(&b"main\xff.star"[..], 1)], "the name is not UTF-8"),
    ] {
        let entries: Vec<(&[u8], EntryType, u64)> = entries
            .iter()
            .map(|(n, s)| (*n, EntryType::Regular, *s))
            .collect();
        let err = read(&tar_gz(&entries)).unwrap_err();
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
}

fn index_json(repository: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "binary_digest": DIGEST,
        "binary_repository": repository,
        "config_entrypoint": "main.star",
    }))
    .unwrap()
}

#[test]
fn binary_repository_is_validated_when_the_image_is_read() {
    for bad in [
        "registry.example/team/my app",
        "registry.example/team/echo\nimage: evil",
        "registry.example/team/echo@sha256:abc",
        "--privileged",
        "registry.example/Team/Echo",
        "",
        "echo",
        "registry.example/team/echo:v1",
    ] {
        let files: BTreeMap<String, Vec<u8>> = [
            ("index.json".to_owned(), index_json(bad)),
            ("main.star".to_owned(), b"def main(ctx): pass\n".to_vec()),
        ]
        .into();
        let err = ConfigImage::from_files(files).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("in the config image's `index.json` is not an OCI repository"),
            "{bad:?}: {msg}"
        );
        assert!(!msg.contains('\n'), "{bad:?}: {msg}");
    }
    for good in [
        "registry.example/team/echo",
        "localhost:5000/echo",
        "docker.io/library/busybox",
    ] {
        let files: BTreeMap<String, Vec<u8>> = [
            ("index.json".to_owned(), index_json(good)),
            ("main.star".to_owned(), b"def main(ctx): pass\n".to_vec()),
        ]
        .into();
        ConfigImage::from_files(files).unwrap();
    }
}

#[test]
fn read_dir_reads_back_every_file_write_dir_wrote() {
    // Files under a dot-directory or named `bazel-*` at the root were skipped when read back.
    let files: BTreeMap<String, Vec<u8>> = [
        (
            "index.json".to_owned(),
            index_json("registry.example/team/echo"),
        ),
        (
            "main.star".to_owned(),
            b"load(\".lib/a.star\", \"a\")\n".to_vec(),
        ),
        (".lib/a.star".to_owned(), b"a = 1\n".to_vec()),
        ("bazel-x.star".to_owned(), b"b = 1\n".to_vec()),
    ]
    .into();
    let image = ConfigImage::from_files(files).unwrap();
    let dir = tempfile::tempdir().unwrap();
    image.write_dir(dir.path()).unwrap();
    assert_eq!(ConfigImage::read_dir(dir.path()).unwrap(), image);
}

#[test]
fn credentials_in_a_reference_are_refused_and_never_echoed() {
    // Issue #11, item 15: `user:password@registry/...` was echoed in errors.
    for text in [
        "bob:hunter2@reg.example/team/cfg:v1",
        "https://bob:hunter2@reg.example/team/cfg",
        "bob:hunter2@reg.example",
    ] {
        let err = text
            .parse::<sisyphus_oci::reference::Reference>()
            .unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(msg.contains("docker login"), "{msg}");
    }
    // Digests still parse.
    "busybox@sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1"
        .parse::<sisyphus_oci::reference::Reference>()
        .unwrap();
}
