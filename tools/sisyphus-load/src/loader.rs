//! Walking the monitored directory: namespace folders, their `index.yaml`, `SisyphusYaml`
//! includes (with cycle detection) and KubernetesYaml `sources`.
//!
//! Reads files under the monitored directory only, through [`Inputs`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sisyphus_core::names;
use sisyphus_core::production::{Resource, ResourceKind, ResourceSpec, SourceLocation};

use crate::clusters::{CLUSTERS_FILE, parse_clusters};
use crate::diag::Diagnostics;
use crate::inputs::{Inputs, ReadError};
use crate::objects::parse_object;
use crate::paths::resolve_source;
use crate::resource::{Parsed, Where, parse_document};
use crate::schema::Cx;
use crate::yaml::{Node, Pos, parse_documents};

/// The file every namespace folder holds.
const INDEX: &str = "index.yaml";

/// How deep `SisyphusYaml` includes may nest.
const MAX_INCLUDE_DEPTH: usize = 64;

const TOP: Pos = Pos { line: 1, column: 1 };

/// State of one load.
pub(crate) struct Loader {
    root: PathBuf,
    pub inputs: Inputs,
    pub diags: Diagnostics,
    pub resources: Vec<Resource>,
    pub clusters: Option<BTreeSet<String>>,
    seen: BTreeMap<(ResourceKind, String, String), SourceLocation>,
}

/// A namespace folder being loaded.
struct Folder<'a> {
    name: &'a str,
    canonical: &'a Path,
}

impl Loader {
    /// A loader for the monitored directory `root`.
    pub fn new(root: &Path) -> Self {
        Loader {
            root: root.to_path_buf(),
            inputs: Inputs::new(root),
            diags: Diagnostics::default(),
            resources: Vec::new(),
            clusters: None,
            seen: BTreeMap::new(),
        }
    }

    /// Load everything under the root.
    ///
    /// # Errors
    ///
    /// The root (or its canonical path) cannot be read.
    pub fn load_root(&mut self) -> std::io::Result<()> {
        let root_canonical = self.root.canonicalize()?;
        let mut entries: Vec<(String, std::fs::FileType)> = Vec::new();
        for entry in fs_err::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            entries.push((name, entry.file_type()?));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if entries
            .iter()
            .any(|(n, t)| n == CLUSTERS_FILE && !t.is_dir())
        {
            self.load_clusters();
        }
        let mut folders = Vec::new();
        for (name, file_type) in entries {
            if name.starts_with('.') {
                continue;
            }
            let path = self.root.join(&name);
            let is_dir = if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.is_dir() && !target.starts_with(&root_canonical) => {
                        self.diags.error(&name, TOP, format!("namespace folder `{name}` is a symlink leading outside the monitored directory"));
                        continue;
                    }
                    Ok(target) => target.is_dir(),
                    Err(_) => false,
                }
            } else {
                file_type.is_dir()
            };
            if is_dir {
                folders.push(name);
            } else if name == INDEX {
                self.diags.error(INDEX, TOP, "`index.yaml` at the root of the monitored directory is never read: resources go in `<namespace>/index.yaml` (cluster-scoped objects in `global/index.yaml`)");
            }
        }
        self.load_folders(&folders);
        Ok(())
    }

    /// Load namespace folders, spread over the available cores; each worker has its own
    /// loader, merged afterwards (the result is sorted later, so it does not depend on timing).
    fn load_folders(&mut self, folders: &[String]) {
        let workers = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .min(folders.len().max(1));
        if workers <= 1 {
            for name in folders {
                self.load_folder(name);
            }
            return;
        }
        let done: Vec<Loader> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let mut worker = Loader::new(&self.root);
                    worker.clusters = self.clusters.clone();
                    scope.spawn(move || {
                        for name in folders.iter().skip(w).step_by(workers) {
                            worker.load_folder(name);
                        }
                        worker
                    })
                })
                .collect();
            // A worker's panic is a bug: re-raise it rather than lose its folders.
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for worker in done {
            self.inputs.merge(worker.inputs);
            self.diags.extend(worker.diags);
            self.resources.extend(worker.resources);
        }
    }

    fn load_clusters(&mut self) {
        let Some(docs) = self.read_documents(CLUSTERS_FILE) else {
            return;
        };
        let mut cx = Cx {
            file: CLUSTERS_FILE,
            text: self.inputs.text(CLUSTERS_FILE),
            diags: &mut self.diags,
        };
        self.clusters = parse_clusters(&mut cx, &docs);
    }

    fn load_folder(&mut self, name: &str) {
        let index = format!("{name}/{INDEX}");
        // Any kind of file counts (reading it says what is wrong with it); a folder that cannot
        // be read is said to be unreadable, not to have no `index.yaml` (issue #11, item 17).
        let index_exists = match fs_err::symlink_metadata(self.root.join(&index)) {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                self.diags.error(
                    name,
                    TOP,
                    format!("failed to read namespace folder `{name}/`: {}", e.kind()),
                );
                return;
            }
        };
        let report_file = if index_exists {
            index.clone()
        } else {
            name.to_string()
        };
        if !names::is_dns1123_label(name) {
            self.diags.error(
                &report_file,
                TOP,
                format!("invalid namespace folder name `{name}`: expected a DNS-1123 label (at most 63 lowercase letters, digits or `-`, starting and ending with a letter or digit)"),
            );
            return;
        }
        let canonical = match self.root.join(name).canonicalize() {
            Ok(c) => c,
            Err(err) => {
                self.diags.error(
                    name,
                    TOP,
                    format!("failed to read namespace folder `{name}`: {err}"),
                );
                return;
            }
        };
        if !index_exists {
            let hint = ["index.yml", "Index.yaml", "index.yaml.yaml", "index.YAML"]
                .iter()
                .find(|alt| self.root.join(name).join(alt).is_file())
                .map(|alt| format!(" (found `{alt}`: rename it to `index.yaml`)"))
                .unwrap_or_default();
            self.diags.error(
                name,
                TOP,
                format!("namespace folder `{name}/` has no `index.yaml`{hint}; add one, or remove the folder"),
            );
            return;
        }
        let folder = Folder {
            name,
            canonical: &canonical,
        };
        let mut stack = Vec::new();
        self.load_sisyphus_file(&folder, &index, &mut stack);
        self.report_unread_index_files(name, &canonical);
    }

    /// `index.yaml` files deeper in a namespace folder are read only through `sources`.
    fn report_unread_index_files(&mut self, folder: &str, dir: &Path) {
        let mut pending = vec![(folder.to_string(), dir.to_path_buf())];
        while let Some((rel, path)) = pending.pop() {
            let Ok(read) = fs_err::read_dir(&path) else {
                continue;
            };
            let mut children: Vec<(String, PathBuf, bool)> = read
                .filter_map(Result::ok)
                .map(|e| {
                    let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        e.path(),
                        is_dir,
                    )
                })
                .collect();
            children.sort();
            for (name, child, is_dir) in children {
                let child_rel = format!("{rel}/{name}");
                if is_dir {
                    pending.push((child_rel, child));
                } else if name == INDEX && rel != folder && !self.inputs.contains(&child_rel) {
                    self.diags.error(&child_rel, TOP, format!("`{child_rel}` is never read: only `{folder}/index.yaml` is read directly; include it from there with a `SisyphusYaml` `sources` entry, or rename it"));
                }
            }
        }
    }

    fn read_documents(&mut self, file: &str) -> Option<Vec<Node>> {
        let parsed = match self.inputs.read(file) {
            Ok(text) => parse_documents(text),
            Err(ReadError::Io(err)) => {
                self.diags
                    .error(file, TOP, format!("failed to read `{file}`: {err}"));
                return None;
            }
            Err(ReadError::NotUtf8) => {
                self.diags
                    .error(file, TOP, format!("`{file}` is not UTF-8 text"));
                return None;
            }
            Err(ReadError::Refused(reason)) => {
                self.diags.error(file, TOP, reason);
                return None;
            }
        };
        match parsed {
            Ok(docs) => Some(docs),
            Err(err) => {
                self.diags
                    .error(file, err.pos, format!("invalid YAML: {}", err.message));
                None
            }
        }
    }

    fn load_sisyphus_file(&mut self, folder: &Folder<'_>, file: &str, stack: &mut Vec<String>) {
        stack.push(file.to_string());
        let docs = self.read_documents(file).unwrap_or_default();
        for doc in &docs {
            let parsed = {
                let at = Where {
                    folder: folder.name,
                    clusters: self.clusters.as_ref(),
                };
                let mut cx = Cx {
                    file,
                    text: self.inputs.text(file),
                    diags: &mut self.diags,
                };
                parse_document(&mut cx, doc, &at)
            };
            match parsed {
                None => {}
                Some(Parsed::Resource(resource)) => self.add(resource),
                Some(Parsed::KubernetesYaml(mut resource, sources)) => {
                    for (source, pos) in sources {
                        if let Some(rel) = self.resolve(folder, file, &source, pos) {
                            self.read_objects(&rel, &mut resource);
                        }
                    }
                    self.add(resource);
                }
                Some(Parsed::Include(sources)) => {
                    for (source, pos) in sources {
                        let Some(rel) = self.resolve(folder, file, &source, pos) else {
                            continue;
                        };
                        if let Some(start) = stack.iter().position(|f| *f == rel) {
                            let mut chain: Vec<&str> =
                                stack[start..].iter().map(String::as_str).collect();
                            chain.push(&rel);
                            self.diags.error(
                                file,
                                pos,
                                format!(
                                    "include cycle: {}",
                                    chain
                                        .iter()
                                        .map(|f| format!("`{f}`"))
                                        .collect::<Vec<_>>()
                                        .join(" → ")
                                ),
                            );
                        } else if stack.len() >= MAX_INCLUDE_DEPTH {
                            self.diags.error(
                                file,
                                pos,
                                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
                            );
                        } else {
                            self.load_sisyphus_file(folder, &rel, stack);
                        }
                    }
                }
            }
        }
        stack.pop();
    }

    fn resolve(
        &mut self,
        folder: &Folder<'_>,
        file: &str,
        source: &str,
        pos: Pos,
    ) -> Option<String> {
        match resolve_source(&self.root, folder.name, folder.canonical, file, source) {
            Ok(rel) => Some(rel),
            Err(message) => {
                self.diags.error(file, pos, message);
                None
            }
        }
    }

    fn read_objects(&mut self, file: &str, resource: &mut Resource) {
        let Some(docs) = self.read_documents(file) else {
            return;
        };
        let ResourceSpec::KubernetesYaml(spec) = &mut resource.spec else {
            return;
        };
        let mut cx = Cx {
            file,
            text: self.inputs.text(file),
            diags: &mut self.diags,
        };
        spec.objects
            .extend(docs.iter().filter_map(|doc| parse_object(&mut cx, doc)));
    }

    fn add(&mut self, resource: Resource) {
        let key = (
            resource.kind(),
            resource.folder.clone(),
            resource.name.clone(),
        );
        if let Some(first) = self.seen.get(&key) {
            self.diags.error(
                &resource.location.file,
                pos_of(&resource.location),
                format!(
                    "duplicate {} `{}` in folder `{}/`, first declared at {first}",
                    resource.kind(),
                    resource.name,
                    resource.folder
                ),
            );
            return;
        }
        // Both pod templates carry `app.kubernetes.io/name: <name>`: the Deployment's selector
        // and Service would select the CronJob's pods too.
        let other = match resource.kind() {
            ResourceKind::Deployment => Some(ResourceKind::CronJob),
            ResourceKind::CronJob => Some(ResourceKind::Deployment),
            ResourceKind::KubernetesYaml => None,
        };
        if let Some(other) = other
            && let Some(first) =
                self.seen
                    .get(&(other, resource.folder.clone(), resource.name.clone()))
        {
            self.diags.error(
                &resource.location.file,
                pos_of(&resource.location),
                format!(
                    "{} `{}` in folder `{}/` has the name of the {other} declared at {first}: their pods would share the label `app.kubernetes.io/name: {}`, so the Deployment's selector and Service would pick the CronJob's pods; rename one",
                    resource.kind(),
                    resource.name,
                    resource.folder,
                    resource.name,
                ),
            );
            return;
        }
        self.seen.insert(key, resource.location.clone());
        self.resources.push(resource);
    }
}

/// `location` for diagnostics built from a [`SourceLocation`].
pub(crate) fn pos_of(loc: &SourceLocation) -> Pos {
    Pos {
        line: loc.line,
        column: loc.column,
    }
}
