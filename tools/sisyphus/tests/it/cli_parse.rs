//! Flags with non-trivial parsing: defaults, required-one-of pairs and conflicts, parsed with
//! the CLI's own clap definitions (no process started).

use clap::Parser as _;
use sisyphus::cli::{AppCommand, Cli, Command};
use sisyphus::commands::image::Command as ImageCommand;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("sisyphus").chain(args.iter().copied()))
}

const DIGEST: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

#[test]
fn run_config_defaults() {
    let cli = parse(&[
        "app",
        "run-config",
        "--config",
        "c.star",
        "--binary",
        "b",
        "--",
        "-x",
    ])
    .expect("parses");
    let Command::App(AppCommand::RunConfig(args)) = cli.command else {
        panic!("expected run-config, got {:?}", cli.command);
    };
    assert_eq!(args.context.environment, "dev");
    assert_eq!(args.config_root, std::path::PathBuf::from("."));
    assert_eq!(args.extra, ["-x"]);
    assert!(args.pass_env.is_empty() && !args.print);
}

#[test]
fn image_build_takes_exactly_one_binary_source() {
    let base = [
        "image",
        "build",
        "--config-root",
        "r",
        "--entrypoint",
        "main.star",
        "--binary-repository",
        "x",
        "--out",
        "o",
    ];
    let with = |extra: &[&str]| parse(&[&base[..], extra].concat());
    let Command::Image(ImageCommand::Build(args)) =
        with(&["--binary-digest", DIGEST]).expect("parses").command
    else {
        panic!("expected image build");
    };
    assert_eq!(args.binary_digest.as_deref(), Some(DIGEST));
    assert_eq!(
        with(&[]).expect_err("neither").kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        with(&["--binary-digest", DIGEST, "--binary-image", "l"])
            .expect_err("both")
            .kind(),
        clap::error::ErrorKind::ArgumentConflict
    );
}

#[test]
fn image_inspect_takes_a_reference_or_a_layout() {
    assert!(parse(&["image", "inspect", "r.example/x:v1"]).is_ok());
    assert!(parse(&["image", "inspect", "--layout", "l"]).is_ok());
    assert_eq!(
        parse(&["image", "inspect"]).expect_err("neither").kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        parse(&["image", "inspect", "r.example/x:v1", "--layout", "l"])
            .expect_err("both")
            .kind(),
        clap::error::ErrorKind::ArgumentConflict
    );
}

#[test]
fn push_needs_a_tag_and_repeats_flags() {
    assert!(parse(&["image", "push", "--layout", "l"]).is_err());
    let cli = parse(&[
        "image",
        "push",
        "--layout",
        "l",
        "--tag",
        "a:1",
        "--tag",
        "b:2",
        "--insecure-registry",
        "h:5000",
        "-q",
    ])
    .expect("parses");
    let Command::Image(ImageCommand::Push(args)) = cli.command else {
        panic!("expected image push");
    };
    assert_eq!(args.tags, ["a:1", "b:2"]);
    assert_eq!(args.registry.insecure_registry, ["h:5000"]);
    assert!(args.quiet);
}

#[test]
fn history_flags_subcommand_and_conflicts() {
    use sisyphus::commands::history::Command as HistoryCommand;
    let Command::History(args) = parse(&["history"]).expect("parses").command else {
        panic!("expected history");
    };
    assert!(args.command.is_none());
    assert_eq!(args.list.limit, 20);
    assert!(!args.list.audit && args.list.resource.is_none() && args.list.cluster.is_none());
    let Command::History(args) = parse(&[
        "history",
        "--resource",
        "Deployment/web/echo",
        "--cluster",
        "east",
        "--limit",
        "5",
        "--output",
        "json",
    ])
    .expect("parses")
    .command
    else {
        panic!("expected history");
    };
    assert_eq!(args.list.resource.as_deref(), Some("Deployment/web/echo"));
    assert_eq!(args.list.limit, 5);
    let Command::History(args) = parse(&["history", "show", "7"]).expect("parses").command else {
        panic!("expected history show");
    };
    let Some(HistoryCommand::Show(show)) = args.command else {
        panic!("expected show");
    };
    assert_eq!(show.push, 7);
    for bad in [
        &["history", "--audit", "--resource", "Deployment/a/b"][..],
        &["history", "--audit", "--cluster", "east"],
        &["history", "--limit", "0"],
        &["history", "show", "seven"],
        &["history", "show"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn pause_and_resume_take_resources_and_namespaces() {
    let Command::Pause(args) = parse(&[
        "pause",
        "Deployment/web/echo",
        "cronjob/web/nightly",
        "--namespace",
        "api",
        "--reason",
        "incident 42",
        "--monitor-directory",
        "prod",
    ])
    .expect("parses")
    .command
    else {
        panic!("expected pause");
    };
    assert_eq!(args.targets.resources.len(), 2);
    assert_eq!(args.targets.namespaces, ["api"]);
    assert_eq!(args.reason.as_deref(), Some("incident 42"));
    assert!(parse(&["pause", "--monitor-directory", "a", "--plan", "b"]).is_err());
    let Command::Resume(args) = parse(&["resume", "--namespace", "api"])
        .expect("parses")
        .command
    else {
        panic!("expected resume");
    };
    assert_eq!(args.targets.namespaces, ["api"]);
    assert!(
        parse(&["resume", "--reason", "x"]).is_err(),
        "resume takes no reason"
    );
    assert!(matches!(
        parse(&["status", "--output", "json"])
            .expect("parses")
            .command,
        Command::Status(_)
    ));
}
