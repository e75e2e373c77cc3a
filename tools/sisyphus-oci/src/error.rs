//! The one error type of this crate.

use std::path::PathBuf;

use sisyphus_core::Digest;

/// What can go wrong building or reading images and config images.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written. The error comes from `fs-err`, whose
    /// message already names the operation and the path (`failed to read directory `x`: ...`),
    /// so it is shown as is.
    #[error(transparent)]
    File(std::io::Error),
    /// An in-memory stream (the layer's tar or gzip encoder) failed.
    #[error("failed to {action}")]
    Io {
        /// What was being done, e.g. "compress the layer".
        action: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A path inside an image is not a clean root-relative path.
    #[error("invalid path `{path}` {context}: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// Where it was found, e.g. "in the config image layer".
        context: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two inputs claim the same path.
    #[error("duplicate path `{path}` {context}")]
    DuplicatePath {
        /// The path.
        path: String,
        /// Where, e.g. "in --file arguments".
        context: String,
    },
    /// A JSON document does not parse or has the wrong shape.
    #[error("{file}:{line}:{column}: invalid {what}")]
    Json {
        /// The file (or blob) that holds it.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What it should have been, e.g. "config image index".
        what: &'static str,
        /// The parser's complaint, without its position (the message has it).
        #[source]
        source: JsonProblem,
    },
    /// A directory is not an OCI image layout.
    #[error("`{dir}` is not an OCI image layout: `{missing}` is missing")]
    NotALayout {
        /// The directory.
        dir: PathBuf,
        /// The file that is missing (`oci-layout` or `index.json`).
        missing: &'static str,
    },
    /// A layout's `index.json` must point to exactly one manifest or index here.
    #[error("image layout `{dir}` must point to exactly one manifest or index, found {found}")]
    LayoutEntryCount {
        /// The layout directory.
        dir: PathBuf,
        /// How many entries its index.json has.
        found: usize,
    },
    /// A blob the manifest refers to is not in the layout.
    #[error("blob `{digest}` is missing from image layout `{dir}`")]
    MissingBlob {
        /// The blob digest.
        digest: Digest,
        /// The layout directory.
        dir: PathBuf,
    },
    /// Content does not hash to the digest that names it.
    #[error("{what} does not match its digest: expected `{expected}`, got `{actual}`")]
    DigestMismatch {
        /// What was checked, e.g. "blob `sha256:..` of layout `out`".
        what: String,
        /// The digest it is named by.
        expected: Digest,
        /// The digest of the bytes.
        actual: Digest,
    },
    /// Content does not have the size its descriptor says.
    #[error("{what} has {actual} bytes, its descriptor says {expected}")]
    SizeMismatch {
        /// What was checked.
        what: String,
        /// The size in the descriptor.
        expected: u64,
        /// The size of the bytes.
        actual: u64,
    },
    /// A manifest, config or layer has a media type this operation cannot handle.
    #[error("{what} has media type `{found}`, expected {expected}")]
    MediaType {
        /// What was checked.
        what: String,
        /// What would have been accepted.
        expected: String,
        /// What it has.
        found: String,
    },
    /// A tar layer could not be read.
    #[error("failed to read layer `{digest}`")]
    Archive {
        /// The layer digest.
        digest: Digest,
        /// The tar or gzip error.
        #[source]
        source: std::io::Error,
    },
    /// A layer entry is something other than a regular file or a directory.
    #[error("`{path}` in the config image is a {kind}, expected a regular file")]
    NotRegularFile {
        /// The entry path.
        path: String,
        /// What it is (symlink, hard link, device, ...).
        kind: String,
    },
    /// The config image has no `index.json`.
    #[error("the config image has no `index.json` at its root (files: {files})")]
    MissingIndex {
        /// The files it has, comma-separated.
        files: String,
    },
    /// The entrypoint named by `index.json` is not in the image.
    #[error("config entrypoint `{entrypoint}` is not in the config image (files: {files})")]
    EntrypointNotInImage {
        /// `config_entrypoint` from index.json.
        entrypoint: String,
        /// The files it has, comma-separated.
        files: String,
    },
    /// A config file is not UTF-8 text.
    #[error("`{path}` in the config image is not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: String,
    },
    /// A platform is not `os/architecture[/variant]`.
    #[error("invalid platform `{found}`: expected `os/architecture[/variant]`, e.g. `linux/amd64`")]
    BadPlatform {
        /// The text given.
        found: String,
    },
    /// An image index would list the same platform twice.
    #[error("platform `{platform}` appears twice (in `{first}` and `{second}`)")]
    DuplicatePlatform {
        /// The platform.
        platform: String,
        /// The first layout.
        first: PathBuf,
        /// The second layout.
        second: PathBuf,
    },
    /// A base image index has no manifest for the wanted platform.
    #[error("image layout `{dir}` has no manifest for platform `{platform}` (it has: {available})")]
    NoSuchPlatform {
        /// The layout.
        dir: PathBuf,
        /// The wanted platform.
        platform: String,
        /// The platforms it has.
        available: String,
    },
    /// An input argument is malformed.
    #[error("invalid {what} `{found}`: expected {expected}")]
    BadArgument {
        /// Which argument, e.g. "--env".
        what: &'static str,
        /// What was given.
        found: String,
        /// What is expected.
        expected: &'static str,
    },
    /// A config image's layers hold more than the limits allow once decompressed
    /// ([`crate::layer::MAX_UNCOMPRESSED_SIZE`], [`crate::layer::MAX_ENTRIES`]).
    #[error(
        "config image layer `{digest}` holds more than {limit} {what}, the most a config image may hold (is it a binary image?)"
    )]
    Uncompressed {
        /// The layer being read when the limit was reached.
        digest: Digest,
        /// Which limit: "entries" or "bytes once decompressed".
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// An image index does not name one config image unambiguously.
    #[error("image index `{digest}` is not one config image: {reason}")]
    AmbiguousIndex {
        /// The index digest.
        digest: Digest,
        /// What is wrong with it.
        reason: String,
    },
    /// A config image must have between one and [`crate::config_image::MAX_LAYERS`] layers.
    #[error(
        "config image `{digest}` has {found} layers, expected 1 to {max} (is it a binary image?)", max = crate::config_image::MAX_LAYERS
    )]
    LayerCount {
        /// The manifest digest.
        digest: Digest,
        /// How many layers it has.
        found: usize,
    },
    /// A config image's layers are larger than [`crate::config_image::MAX_LAYER_SIZE`]
    /// together.
    #[error(
        "layer `{layer}` of config image `{digest}` brings its layers to {size} bytes, more than the {limit} bytes a config image's layers may have (is it a binary image?)"
    )]
    LayerTooLarge {
        /// The manifest digest.
        digest: Digest,
        /// The layer digest.
        layer: Digest,
        /// The size its descriptor gives.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The binary image layout named for a config image cannot be used.
    #[error("failed to read binary image `{dir}`")]
    BinaryImage {
        /// The layout directory.
        dir: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<Error>,
    },
    /// Not exactly one of the binary image's digest and layout was given.
    #[error("pass exactly one of `--binary-digest` and `--binary-image`")]
    BinarySource,
    /// The binary repository is not a plain repository reference.
    #[error("invalid `--binary-repository` `{found}`: {reason}")]
    BinaryRepository {
        /// The text given.
        found: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A config image's `index.json` names a binary repository that is not an OCI repository.
    #[error("`binary_repository` `{found}` in the config image's `index.json` is not an OCI repository: {reason}", found = sisyphus_core::text::escape_line(found))]
    BadBinaryRepository {
        /// The text given.
        found: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The output directory exists and holds something that is not an image layout.
    #[error(
        "output directory `{dir}` is not empty and is not an OCI image layout; refusing to overwrite it"
    )]
    OutputNotEmpty {
        /// The directory.
        dir: PathBuf,
    },
}

impl Error {
    /// An I/O error while doing `action`.
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let action = action.into();
        move |source| Error::Io { action, source }
    }

    /// A JSON error in `file`, located.
    pub(crate) fn json(
        file: impl Into<String>,
        what: &'static str,
        source: serde_json::Error,
    ) -> Error {
        let (line, column) = (source.line(), source.column());
        let text = source.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        Error::Json {
            file: file.into(),
            line,
            column,
            what,
            source: JsonProblem(message),
        }
    }
}

/// What a JSON parser found wrong, without the position (the [`Error::Json`] message has it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonProblem(pub String);

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonProblem {}
