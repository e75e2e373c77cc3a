//! Port numbering: explicit numbers kept, auto numbers the same in every environment and stable
//! when ports are added, conflicts are errors.

use sisyphus_core::app::{Port, Protocol};

fn ports(source: &str, environment: &str) -> Vec<Port> {
    crate::eval(source, environment).unwrap().ports
}

fn number(ports: &[Port], name: &str) -> u16 {
    ports.iter().find(|p| p.name == name).unwrap().number
}

const PER_ENV: &str = r#"
def main(ctx):
    return Application(
        args = [{"prod": Port(name = "admin"), "dev": Port(name = "admin")}, Port(name = "grpc")],
        env = {"HTTP": {"prod": Port(name = "http", number = 80), "dev": Port(name = "http")}},
    )
"#;

#[test]
fn auto_numbers_are_the_same_in_every_environment() {
    let prod = ports(PER_ENV, "prod");
    let dev = ports(PER_ENV, "dev");
    assert_eq!(number(&prod, "admin"), number(&dev, "admin"));
    assert_eq!(number(&prod, "grpc"), number(&dev, "grpc"));
    assert!((20000..30000).contains(&number(&prod, "admin")));
    assert_eq!(number(&prod, "http"), 80);
    assert!(!prod.iter().find(|p| p.name == "http").unwrap().assigned);
    assert!(dev.iter().find(|p| p.name == "http").unwrap().assigned);
    assert!(prod.iter().find(|p| p.name == "admin").unwrap().assigned);
    // Sorted by name, only active ones.
    let names: Vec<&str> = prod.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["admin", "grpc", "http"]);
    let test: Vec<String> = ports(PER_ENV, "test").into_iter().map(|p| p.name).collect();
    assert_eq!(test, ["grpc"]);
}

#[test]
fn adding_a_port_does_not_renumber_the_others() {
    let before = r#"
def main(ctx):
    return Application(args = [Port(name = "metrics"), Port(name = "http"), Port(name = "zeta")])
"#;
    let after = r#"
def main(ctx):
    return Application(args = [Port(name = "a"), Port(name = "metrics"), Port(name = "http"),
                               Port(name = "zeta"), Port(name = "b", number = 8080)])
"#;
    let b = ports(before, "prod");
    let a = ports(after, "prod");
    for name in ["metrics", "http", "zeta"] {
        assert_eq!(number(&b, name), number(&a, name), "{name}");
    }
    assert_eq!(a.len(), 5);
}

#[test]
fn auto_numbers_skip_explicit_numbers_used_in_any_environment() {
    let http = 20000 + (fnv1a32("http") % 10000) as u16;
    let source = format!(
        "def main(ctx):\n    return Application(args = [{{\"dev\": Port(name = \"x\", number = {http})}}, Port(name = \"http\")])\n"
    );
    let prod = ports(&source, "prod");
    assert_eq!(number(&prod, "http"), http + 1);
}

fn fnv1a32(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[test]
fn protocols_are_kept() {
    let source = "def main(ctx):\n    return Application(env = {\"D\": Port(name = \"dns\", number = 53, protocol = \"UDP\")})\n";
    assert_eq!(
        ports(source, "prod"),
        [Port {
            name: "dns".into(),
            number: 53,
            protocol: Protocol::Udp,
            assigned: false
        }]
    );
}

#[test]
fn conflicts_are_errors_with_both_locations() {
    let two_numbers = "def main(ctx):\n    return Application(args = [Port(name = \"http\", number = 80),\n        Port(name = \"http\", number = 81)])\n";
    let err = crate::eval(two_numbers, "prod").unwrap_err().to_string();
    assert!(err.starts_with("main.star:3:9: port `http` in environment `prod`: expected one number, found 80 (at main.star:2:32) and 81"), "{err}");

    let one_number = "def main(ctx):\n    return Application(args = [Port(name = \"a\", number = 80), Port(name = \"b\", number = 80)])\n";
    let err = crate::eval(one_number, "prod").unwrap_err().to_string();
    assert!(err.contains("port `b` in environment `prod`: expected a number no other TCP port uses, found 80, which port `a` (at main.star:2:32) uses too"), "{err}");

    // The same conflict in a branch that is not chosen is not an error.
    let other_env = "def main(ctx):\n    return Application(args = [Port(name = \"a\", number = 80), {\"dev\": Port(name = \"b\", number = 80)}])\n";
    assert!(crate::eval(other_env, "prod").is_ok());
    assert!(crate::eval(other_env, "dev").is_err());
}

#[test]
fn one_number_with_two_protocols_is_two_ports() {
    // Kubernetes allows 53/TCP and 53/UDP side by side (DNS).
    let source = "def main(ctx):\n    return Application(args = [Port(name = \"dns-tcp\", number = 53),\n        Port(name = \"dns-udp\", number = 53, protocol = \"UDP\"), Port(name = \"http\")])\n";
    let got = ports(source, "prod");
    let tcp_udp: Vec<(&str, u16, Protocol)> = got
        .iter()
        .map(|p| (p.name.as_str(), p.number, p.protocol))
        .filter(|(_, n, _)| *n == 53)
        .collect();
    assert_eq!(
        tcp_udp,
        [
            ("dns-tcp", 53, Protocol::Tcp),
            ("dns-udp", 53, Protocol::Udp)
        ]
    );
    // The same number twice with one protocol is still a conflict.
    let clash = "def main(ctx):\n    return Application(args = [Port(name = \"a\", number = 53, protocol = \"UDP\"),\n        Port(name = \"b\", number = 53, protocol = \"UDP\")])\n";
    let err = crate::eval(clash, "prod").unwrap_err().to_string();
    assert!(
        err.contains("expected a number no other UDP port uses, found 53, which port `a`"),
        "{err}"
    );
}

#[test]
fn auto_numbers_avoid_explicit_numbers_of_any_protocol() {
    let http = 20000 + (fnv1a32("http") % 10000) as u16;
    let source = format!(
        "def main(ctx):\n    return Application(args = [Port(name = \"x\", number = {http}, protocol = \"UDP\"), Port(name = \"http\")])\n"
    );
    assert_eq!(number(&ports(&source, "prod"), "http"), http + 1);
}
