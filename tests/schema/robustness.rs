//! The oracle sits on the emulator's request path, so hostile input must never panic it:
//! arbitrary methods, paths, parameter maps and response values.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proximity::sim::schema::ApiSchema;
use serde_json::Value;

const KEYS: &[&str] = &[
    "vmid",
    "net0",
    "net99",
    "rootfs",
    "features",
    "tags",
    "start",
    "memory",
    "cpulimit",
    "hostname",
    "exclude-path",
    "storage",
    "node",
    "type",
    "username",
    "mp0",
    "delete",
    "snapname",
    "x",
];

const PATHS: &[&str] = &[
    "/nodes/pve1/lxc",
    "/nodes/pve1/lxc/100/config",
    "/nodes/pve1/vzdump",
    "/cluster/resources",
    "/access/ticket",
    "/nodes/pve1/tasks/UPID:pve1:1:2:3:x::root@pam:/log",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_string),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_paths_never_panic(method in "(GET|POST|PUT|DELETE|[A-Z]{0,6})", path in "(/[%:a-z0-9{}. ]{0,12}){0,8}") {
        let schema = ApiSchema::embedded();
        let _ = schema.knows(&method, &path);
        let _ = schema.check_params(&method, &path, &BTreeMap::new());
        let _ = schema.check_returns(&method, &path, &Value::Null);
    }

    #[test]
    fn arbitrary_params_never_panic(
        path in prop::sample::select(PATHS),
        params in prop::collection::btree_map(prop::sample::select(KEYS).prop_map(str::to_string), "[-=,;: a-z0-9.%/\\n\u{e9}]{0,24}", 0..6),
    ) {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            if let Err(errors) = ApiSchema::embedded().check_params(method, path, &params) {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.values().all(|m| !m.is_empty()));
            }
        }
    }

    #[test]
    fn arbitrary_responses_never_panic(path in prop::sample::select(PATHS), data in json_value()) {
        for method in ["GET", "POST", "PUT"] {
            let schema = ApiSchema::embedded();
            if schema.knows(method, path) {
                for message in schema.check_returns(method, path, &data) {
                    prop_assert!(message.starts_with("data"), "{message}");
                }
            }
        }
    }
}
