//! `ApiSchema::check_params`: the exact `JSONSchema.pm` messages PVE puts in the `errors` object
//! of a 400 `Parameter verification failed.` response (WIRE.md section 0).

use std::collections::BTreeMap;

use proximity::sim::schema::ApiSchema;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn check(method: &str, path: &str, pairs: &[(&str, &str)]) -> Result<(), BTreeMap<String, String>> {
    ApiSchema::embedded().check_params(method, path, &params(pairs))
}

/// The errors of a call that must fail.
fn errors(method: &str, path: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    check(method, path, pairs).expect_err("expected a parameter error")
}

/// A minimal valid create, to which one bad parameter is added.
const CREATE: &[(&str, &str)] = &[
    ("vmid", "200"),
    (
        "ostemplate",
        "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    ),
];

fn create_with(extra: &[(&str, &str)]) -> Result<(), BTreeMap<String, String>> {
    let mut all = CREATE.to_vec();
    all.extend_from_slice(extra);
    check("POST", "/nodes/pve1/lxc", &all)
}

fn single(result: Result<(), BTreeMap<String, String>>, key: &str) -> String {
    let errs = result.expect_err("expected a parameter error");
    assert_eq!(errs.len(), 1, "exactly one error expected: {errs:?}");
    errs.get(key)
        .unwrap_or_else(|| panic!("no error on {key}: {errs:?}"))
        .clone()
}

#[test]
fn a_typical_create_passes() {
    let r = create_with(&[
        ("hostname", "web-1"),
        ("cores", "2"),
        ("memory", "1024"),
        ("swap", "512"),
        ("rootfs", "local-lvm:8"),
        ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
        ("features", "nesting=1,keyctl=1"),
        ("unprivileged", "0"),
        ("start", "0"),
        ("password", "secret1"),
        ("tags", "web;prod"),
        ("ssh-public-keys", "ssh-ed25519 AAAA user@host"),
    ]);
    assert_eq!(r, Ok(()));
}

#[test]
fn missing_required() {
    let errs = errors("POST", "/nodes/pve1/lxc", &[]);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs["vmid"], "property is missing and it is not optional");
    assert_eq!(
        errs["ostemplate"],
        "property is missing and it is not optional"
    );
}

#[test]
fn unknown_parameter() {
    let msg = single(check("GET", "/nodes/pve1/lxc", &[("foo", "1")]), "foo");
    assert_eq!(
        msg,
        "property is not defined in schema and the schema does not allow additional properties"
    );
}

#[test]
fn integer_number_boolean_type_checks() {
    assert_eq!(
        single(create_with(&[("cores", "abc")]), "cores"),
        "type check ('integer') failed - got 'abc'"
    );
    assert_eq!(
        single(create_with(&[("cores", "1.5")]), "cores"),
        "type check ('integer') failed - got '1.5'"
    );
    assert_eq!(
        single(create_with(&[("cpulimit", "abc")]), "cpulimit"),
        "type check ('number') failed - got 'abc'"
    );
    assert_eq!(create_with(&[("cpulimit", "1.5")]), Ok(()));
    assert_eq!(
        single(create_with(&[("start", "true")]), "start"),
        "type check ('boolean') failed - got 'true'"
    );
    assert_eq!(
        single(create_with(&[("start", "yes")]), "start"),
        "type check ('boolean') failed - got 'yes'"
    );
    assert_eq!(create_with(&[("start", "1")]), Ok(()));
    // The path's vmid is validated too.
    let msg = single(
        check("GET", "/nodes/pve1/lxc/abc/status/current", &[]),
        "vmid",
    );
    assert_eq!(msg, "type check ('integer') failed - got 'abc'");
}

#[test]
fn string_lengths() {
    let long = "u".repeat(65);
    let msg = single(
        check(
            "POST",
            "/access/ticket",
            &[("username", &long), ("password", "x")],
        ),
        "username",
    );
    assert_eq!(msg, "value may only be 64 characters long");
    let ok = "u".repeat(64);
    assert_eq!(
        check(
            "POST",
            "/access/ticket",
            &[("username", &ok), ("password", "x")]
        ),
        Ok(())
    );
    let msg = single(create_with(&[("password", "abcd")]), "password");
    assert_eq!(msg, "value must be at least 5 characters long");
}

#[test]
fn regex_pattern() {
    let node = "/nodes/pve1/vzdump";
    assert_eq!(
        check("POST", node, &[("all", "1"), ("job-id", "nightly")]),
        Ok(())
    );
    let msg = single(
        check("POST", node, &[("all", "1"), ("job-id", "two words")]),
        "job-id",
    );
    assert_eq!(msg, "value does not match the regex pattern");
}

#[test]
fn enumeration() {
    let msg = single(check("GET", "/cluster/resources", &[("type", "x")]), "type");
    assert_eq!(
        msg,
        "value 'x' does not have a value in the enumeration 'vm, storage, node, sdn'"
    );
    assert_eq!(
        check("GET", "/cluster/resources", &[("type", "vm")]),
        Ok(())
    );
}

#[test]
fn numeric_bounds() {
    assert_eq!(
        single(create_with(&[("memory", "8")]), "memory"),
        "value must have a minimum value of 16"
    );
    assert_eq!(
        single(create_with(&[("cores", "9000")]), "cores"),
        "value must have a maximum value of 8192"
    );
    // A vmid below 100 fails its pve-vmid format before the minimum is looked at (check order
    // of `check_prop`), so the minimum message is shown on a schema of its own.
    let schema = ApiSchema::from_json(
        r#"{"endpoints":[{"method":"GET","path":"/t","allowtoken":1,
            "parameters":{"additionalProperties":0,"properties":{"n":{"type":"integer","minimum":100}}},
            "returns":{}}]}"#,
    )
    .unwrap();
    let errs = schema
        .check_params("GET", "/t", &params(&[("n", "99")]))
        .unwrap_err();
    assert_eq!(errs["n"], "value must have a minimum value of 100");
    assert_eq!(
        schema.check_params("GET", "/t", &params(&[("n", "100")])),
        Ok(())
    );
}

#[test]
fn named_formats() {
    let msg = single(check("GET", "/cluster/nextid", &[("vmid", "99")]), "vmid");
    assert_eq!(
        msg,
        "invalid format - value does not look like a valid VM ID\n"
    );
    let msg = single(check("GET", "/nodes/bad_node/lxc", &[]), "node");
    assert_eq!(
        msg,
        "invalid format - value does not look like a valid node name\n"
    );
    let msg = single(create_with(&[("tags", "ok;b@d")]), "tags");
    assert_eq!(msg, "invalid format - invalid characters in tag\n");
    let msg = single(
        check(
            "PUT",
            "/nodes/pve1/lxc/100/config",
            &[("delete", "net0,9bad")],
        ),
        "delete",
    );
    assert_eq!(msg, "invalid format - invalid configuration ID '9bad'\n");
    let msg = single(create_with(&[("hostname", "under_score")]), "hostname");
    assert_eq!(
        msg,
        "invalid format - value does not look like a valid DNS name\n"
    );
    assert_eq!(
        check(
            "POST",
            "/nodes/pve1/lxc/100/snapshot",
            &[("snapname", "before-upgrade")]
        ),
        Ok(())
    );
    let msg = single(
        check(
            "POST",
            "/nodes/pve1/lxc/100/snapshot",
            &[("snapname", "1st")],
        ),
        "snapname",
    );
    assert_eq!(msg, "invalid format - invalid configuration ID '1st'\n");
    assert_eq!(
        check("POST", "/nodes/pve1/vzdump", &[("vmid", "100,101")]),
        Ok(())
    );
}

#[test]
fn indexed_keys() {
    assert_eq!(
        create_with(&[("net0", "name=eth0"), ("net31", "name=eth31")]),
        Ok(())
    );
    assert_eq!(
        create_with(&[
            ("mp0", "local-lvm:8,mp=/data"),
            ("mp255", "local:4,mp=/srv")
        ]),
        Ok(())
    );
    for key in ["net32", "net01", "net", "netx"] {
        let msg = single(create_with(&[(key, "name=eth0")]), key);
        assert_eq!(
            msg,
            "property is not defined in schema and the schema does not allow additional properties",
            "{key}"
        );
    }
    assert_eq!(
        check(
            "PUT",
            "/nodes/pve1/lxc/100/config",
            &[("net1", "name=eth1,bridge=vmbr1")]
        ),
        Ok(())
    );
}

#[test]
fn property_strings() {
    assert_eq!(
        create_with(&[("net0", "name=eth0,bridge=vmbr0,ip=dhcp")]),
        Ok(())
    );
    assert_eq!(
        create_with(&[(
            "net0",
            "name=eth0,bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1,firewall=1,tag=20"
        )]),
        Ok(())
    );
    // Booleans inside property strings accept on/yes/true (parse_boolean).
    assert_eq!(
        create_with(&[("features", "nesting=yes,keyctl=on")]),
        Ok(())
    );
    // Bare value goes to the default key.
    assert_eq!(create_with(&[("rootfs", "local-lvm:8,size=8G")]), Ok(()));

    let bad = |value: &str| single(create_with(&[("net0", value)]), "net0");
    assert_eq!(
        bad("bogus=1"),
        "invalid format - invalid key in comma-separated list property: bogus\n"
    );
    assert_eq!(
        bad("name=eth0,name=eth1"),
        "invalid format - duplicate key in comma-separated list property: name\n"
    );
    assert_eq!(
        bad("eth0"),
        "invalid format - value without key, but schema does not define a default key\n"
    );
    assert_eq!(
        bad("name="),
        "invalid format - missing key in comma-separated list property\n"
    );
    assert_eq!(
        bad("bridge=vmbr0"),
        "invalid format - format error\nnet0.name: property is missing and it is not optional\n"
    );
    assert_eq!(
        bad("name=eth0,mtu=abc"),
        "invalid format - format error\nnet0.mtu: type check ('integer') failed - got 'abc'\n"
    );
    assert_eq!(
        bad("name=eth0,ip=10.0.0.5"),
        "invalid format - format error\nnet0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n"
    );
    assert_eq!(
        bad("name=eth0,type=macvlan"),
        "invalid format - format error\nnet0.type: value 'macvlan' does not have a value in the enumeration 'veth'\n"
    );
    let msg = single(create_with(&[("features", "nesting=maybe")]), "features");
    assert_eq!(
        msg,
        "invalid format - format error\nfeatures.nesting: type check ('boolean') failed - got 'maybe'\n"
    );
    let msg = single(create_with(&[("rootfs", "local-lvm:8,local:4")]), "rootfs");
    assert_eq!(
        msg,
        "invalid format - duplicate key in comma-separated list property: volume\n"
    );
    let msg = single(create_with(&[("net0", "name=eth 0")]), "net0");
    assert_eq!(
        msg,
        "invalid format - format error\nnet0.name: value does not match the regex pattern\n"
    );
}

#[test]
fn requires_and_joined_errors_on_one_key() {
    let msg = single(create_with(&[("unique", "1")]), "restore");
    assert_eq!(msg, "missing property - 'unique' requires this property");
    assert_eq!(create_with(&[("unique", "1"), ("restore", "1")]), Ok(()));
    // Two parameters that both require `storage`: both messages land on `storage`, joined
    // with a literal backslash-n (Perl `join('\n', ...)`).
    let msg = single(
        check(
            "POST",
            "/nodes/pve1/vzdump",
            &[
                ("all", "1"),
                ("notes-template", "{{guestname}}"),
                ("protected", "1"),
            ],
        ),
        "storage",
    );
    assert_eq!(
        msg,
        "missing property - 'notes-template' requires this property\\nmissing property - 'protected' requires this property"
    );
}

#[test]
fn path_parameters_merge_with_request_parameters() {
    // Repeating a path parameter with the same value is fine, a different one is refused.
    assert_eq!(
        check(
            "POST",
            "/nodes/pve1/lxc/100/status/start",
            &[("node", "pve1")]
        ),
        Ok(())
    );
    let msg = single(
        check(
            "POST",
            "/nodes/pve1/lxc/100/status/start",
            &[("vmid", "101")],
        ),
        "vmid",
    );
    assert_eq!(
        msg,
        "duplicate parameter (already defined in URI) with conflicting values!"
    );
    let upid = "UPID:pve1:0003A1F2:0108C3B4:6745A1B2:vzstart:100:root@pam:";
    assert_eq!(
        check(
            "GET",
            &format!("/nodes/pve1/tasks/{upid}/log"),
            &[("start", "0"), ("limit", "50")]
        ),
        Ok(())
    );
    assert_eq!(
        check("DELETE", &format!("/nodes/pve1/tasks/{upid}"), &[]),
        Ok(())
    );
}

#[test]
fn array_parameters_take_one_form_value() {
    let vzdump = "/nodes/pve1/vzdump";
    assert_eq!(
        check("POST", vzdump, &[("all", "1"), ("exclude-path", "/tmp/*")]),
        Ok(())
    );
    let msg = single(
        check("POST", vzdump, &[("all", "1"), ("exclude-path", "")]),
        "exclude-path",
    );
    assert_eq!(msg, "type check ('array') failed");
}

#[test]
fn unknown_endpoint_is_a_root_error() {
    let errs = errors("GET", "/foo", &[]);
    assert_eq!(errs["_root"], "Method 'GET /foo' not implemented");
}

#[test]
fn several_keys_fail_together() {
    let errs = errors(
        "POST",
        "/nodes/pve1/lxc",
        &[("vmid", "abc"), ("start", "true"), ("bogus", "1")],
    );
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert_eq!(errs["vmid"], "type check ('integer') failed - got 'abc'");
    assert_eq!(errs["start"], "type check ('boolean') failed - got 'true'");
    assert!(errs["bogus"].starts_with("property is not defined"));
    assert_eq!(
        errs["ostemplate"],
        "property is missing and it is not optional"
    );
}

#[test]
fn check_params_is_fast_enough_for_every_request() {
    let schema = ApiSchema::embedded();
    let create = params(&[
        ("vmid", "200"),
        (
            "ostemplate",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        ),
        ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
        ("features", "nesting=1,keyctl=1"),
        ("rootfs", "local-lvm:8"),
        ("hostname", "web-1"),
    ]);
    let start = std::time::Instant::now();
    let rounds = 2_000;
    for _ in 0..rounds {
        assert!(
            schema
                .check_params("POST", "/nodes/pve1/lxc", &create)
                .is_ok()
        );
    }
    // Timing is for benchmarks, not tests; this only shows the figure.
    eprintln!(
        "check_params(POST /nodes/pve1/lxc, 6 params): {:?} per call",
        start.elapsed() / rounds
    );
}
