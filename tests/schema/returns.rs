//! `ApiSchema::check_returns`: response `data` against the endpoint's `returns`, naming the JSON
//! path of each violation, and accepting what real Proxmox sends where it deviates.

use proximity::sim::schema::ApiSchema;
use serde_json::{Value, json};

fn check(method: &str, path: &str, data: Value) -> Vec<String> {
    ApiSchema::embedded().check_returns(method, path, &data)
}

fn guest(vmid: Value) -> Value {
    json!({
        "id": "lxc/100", "vmid": vmid, "node": "pve1", "type": "lxc", "status": "running",
        "name": "web-1", "uptime": 3600, "template": 0, "maxcpu": 2, "cpu": 0.0125,
        "maxmem": 536870912u64, "mem": 104857600, "maxdisk": 8589934592u64, "disk": 1073741824,
        "netin": 1234, "netout": 5678, "diskread": 0, "diskwrite": 0, "tags": "web;prod"
    })
}

#[test]
fn valid_cluster_resources_pass() {
    let node = json!({"id": "node/pve1", "node": "pve1", "type": "node", "status": "online", "level": "",
        "uptime": 100, "cpu": 0.05, "maxcpu": 8, "mem": 1, "maxmem": 2, "disk": 3, "maxdisk": 4,
        "cgroup-mode": 2, "hastate": "online"});
    let storage = json!({"id": "storage/pve1/local", "storage": "local", "node": "pve1", "type": "storage",
        "plugintype": "dir", "status": "available", "shared": 0, "content": "iso,vztmpl,backup",
        "disk": 1, "maxdisk": 2});
    let pool = json!({"id": "/pool/lab", "pool": "lab", "type": "pool"});
    let errs = check(
        "GET",
        "/cluster/resources",
        json!([guest(json!(100)), node, storage, pool]),
    );
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn vmid_as_string_names_the_path() {
    let list = json!([
        guest(json!(100)),
        guest(json!(101)),
        guest(json!(102)),
        guest(json!("100"))
    ]);
    let errs = check("GET", "/cluster/resources", list);
    assert_eq!(
        errs,
        vec![r#"data[3].vmid: expected integer, got string "100""#.to_string()]
    );
}

#[test]
fn missing_required_field() {
    let mut entry = guest(json!(100));
    entry.as_object_mut().unwrap().remove("id");
    let errs = check("GET", "/cluster/resources", json!([entry]));
    assert_eq!(
        errs,
        vec!["data[0].id: required property is missing".to_string()]
    );
    // null counts as missing, as `defined` does in Perl.
    let errs = check(
        "GET",
        "/cluster/resources",
        json!([{"id": null, "type": "lxc"}]),
    );
    assert_eq!(
        errs,
        vec!["data[0].id: required property is missing".to_string()]
    );
}

#[test]
fn enum_bounds_and_types() {
    let mut entry = guest(json!(100));
    entry["type"] = json!("vm");
    entry["cpu"] = json!(-1.0);
    entry["maxmem"] = json!(1.5);
    let errs = check("GET", "/cluster/resources", json!([entry]));
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs.contains(&"data[0].type: value 'vm' is not in the enumeration 'node, storage, pool, qemu, lxc, openvz, sdn, network'".to_string()));
    assert!(
        errs.contains(&"data[0].cpu: value -1.0 is below the minimum 0".to_string()),
        "{errs:#?}"
    );
    assert!(errs.contains(&"data[0].maxmem: expected integer, got number 1.5".to_string()));
    let errs = check("GET", "/cluster/resources", json!({"not": "an array"}));
    assert_eq!(errs, vec!["data: expected array, got object".to_string()]);
}

#[test]
fn booleans_are_zero_one_numbers_on_the_wire() {
    for template in [json!(0), json!(1), json!(true)] {
        let mut entry = guest(json!(100));
        entry["template"] = template.clone();
        assert!(
            check("GET", "/cluster/resources", json!([entry])).is_empty(),
            "{template}"
        );
    }
    let mut entry = guest(json!(100));
    entry["template"] = json!(2);
    assert_eq!(
        check("GET", "/cluster/resources", json!([entry])),
        vec!["data[0].template: expected boolean, got number 2".to_string()]
    );
}

#[test]
fn known_deviations_are_accepted_and_only_where_listed() {
    // /cluster/nextid: a string on the real server (WIRE.md section 3).
    assert!(check("GET", "/cluster/nextid", json!("101")).is_empty());
    assert!(check("GET", "/cluster/nextid", json!(101)).is_empty());
    assert_eq!(
        check("GET", "/cluster/nextid", json!("abc")),
        vec![r#"data: expected integer, got string "abc""#.to_string()]
    );
    // Elsewhere a stringly integer is still an error.
    let errs = check(
        "GET",
        "/nodes/pve1/tasks/UPID:pve1:1:2:3:vzstart:100:root@pam:/status",
        json!({
            "upid": "UPID:pve1:1:2:3:vzstart:100:root@pam:", "node": "pve1", "pid": "1", "pstart": 2,
            "starttime": 3, "type": "vzstart", "id": "100", "user": "root@pam", "status": "running"
        }),
    );
    assert_eq!(
        errs,
        vec![r#"data.pid: expected integer, got string "1""#.to_string()]
    );
    // Interfaces of a stopped CT: data null.
    assert!(check("GET", "/nodes/pve1/lxc/100/interfaces", Value::Null).is_empty());
    assert_eq!(
        check("GET", "/nodes/pve1/lxc/100/status/current", Value::Null),
        vec!["data: expected object, got null".to_string()]
    );
}

#[test]
fn nested_objects_and_arrays() {
    let ifaces = json!([
        {"name": "lo", "hwaddr": "00:00:00:00:00:00", "hardware-address": "00:00:00:00:00:00",
         "inet": "127.0.0.1/8", "ip-addresses": [{"ip-address": "127.0.0.1", "ip-address-type": "inet", "prefix": 8}]},
        {"name": "eth0", "hwaddr": "bc:24:11:00:00:01", "hardware-address": "bc:24:11:00:00:01",
         "ip-addresses": [{"ip-address": "10.0.0.5", "ip-address-type": "inet", "prefix": "24"}]}
    ]);
    let errs = check("GET", "/nodes/pve1/lxc/100/interfaces", ifaces);
    assert_eq!(
        errs,
        vec![r#"data[1].ip-addresses[0].prefix: expected integer, got string "24""#.to_string()]
    );
}

#[test]
fn additional_properties_zero_is_enforced() {
    let ok = json!({"user": "root@pam", "ticket": "PVEVNC:6745A1B2::c2ln", "port": 5900,
        "upid": "UPID:pve1:0003A1F2:0108C3B4:6745A1B2:vncproxy:100:root@pam:"});
    assert!(check("POST", "/nodes/pve1/lxc/100/termproxy", ok.clone()).is_empty());
    let mut extra = ok;
    extra["password"] = json!("x");
    assert_eq!(
        check("POST", "/nodes/pve1/lxc/100/termproxy", extra),
        vec!["data.password: property is not in the schema, which does not allow additional properties".to_string()]
    );
}

#[test]
fn config_property_strings_and_indexed_keys_are_checked() {
    let config = json!({
        "hostname": "web-1", "memory": 512, "swap": 512, "cores": 1, "unprivileged": 1,
        "rootfs": "local-lvm:vm-100-disk-0,size=8G", "ostype": "debian", "arch": "amd64",
        "net0": "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth",
        "features": "nesting=1", "digest": "0123456789abcdef0123456789abcdef01234567",
        "lxc": [["lxc.apparmor.profile", "unconfined"]]
    });
    let errs = check("GET", "/nodes/pve1/lxc/100/config", config.clone());
    assert!(errs.is_empty(), "{errs:#?}");
    let mut bad = config;
    bad["net1"] = json!("name=eth1,bogus=1");
    bad["memory"] = json!("512");
    let errs = check("GET", "/nodes/pve1/lxc/100/config", bad);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs.contains(&r#"data.memory: expected integer, got string "512""#.to_string()));
    assert!(
        errs.contains(
            &"data.net1: invalid format - invalid key in comma-separated list property: bogus"
                .to_string()
        )
    );
}

#[test]
fn null_returns_and_unknown_endpoints() {
    assert!(check("PUT", "/nodes/pve1/lxc/100/config", Value::Null).is_empty());
    assert_eq!(
        check("PUT", "/nodes/pve1/lxc/100/config", json!("UPID:x")),
        vec![r#"data: expected null, got string "UPID:x""#.to_string()]
    );
    assert_eq!(
        check("GET", "/nope", Value::Null),
        vec!["no schema for GET /nope".to_string()]
    );
}
