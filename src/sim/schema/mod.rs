//! `sim::schema`: the conformance oracle. It owns the subset of the real Proxmox VE 9.1 API
//! schema that Proximity uses (`assets/pve-api-subset.json`, generated from pve-docs
//! `apidata.js` by `scripts/extract_schema.py`, see WIRE.md section 6) and answers three
//! questions for the emulator and the tests:
//!
//! * [`ApiSchema::knows`]: does real PVE route this method + concrete path?
//! * [`ApiSchema::check_params`]: would PVE accept these parameters? Errors carry the exact
//!   `JSONSchema.pm` texts, ready for a 400 `Parameter verification failed.` body.
//! * [`ApiSchema::check_returns`]: does this response `data` match the documented `returns`
//!   (modulo the server's known deviations, [`returns::KNOWN_DEVIATIONS`])?
//!
//! Everything (routes, regexes, property-string formats) is compiled once at load, because the
//! emulator checks every request.

pub mod formats;
pub mod prop;
pub mod returns;
pub mod route;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use prop::{Additional, ObjectProps, Prop};
use route::RouteTable;
pub use validate::ParamErrors;

/// The committed subset; regenerate with `python3 scripts/extract_schema.py <apidata.json>`.
const EMBEDDED_JSON: &str = include_str!("../../../assets/pve-api-subset.json");

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("schema is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("schema has an unexpected shape: {0}")]
    Shape(String),
    #[error("{endpoint}: cannot compile {at}: {what}")]
    Compile {
        endpoint: String,
        at: String,
        what: String,
    },
    #[error("{endpoint}: {what}")]
    Route { endpoint: String, what: String },
}

/// One method of one path template.
#[derive(Debug)]
pub struct Endpoint {
    pub method: String,
    /// Template as in apidata, e.g. `/nodes/{node}/lxc/{vmid}/status/start`.
    pub path: String,
    /// `allowtoken`: false for endpoints that refuse API tokens (`POST /access/ticket`).
    pub allowtoken: bool,
    params: ObjectProps,
    params_additional: Additional,
    returns: Prop,
}

/// A concrete request routed to its endpoint.
#[derive(Debug)]
pub struct Routed<'s> {
    pub endpoint: &'s Endpoint,
    /// Values of the template's `{param}` segments, percent-decoded.
    pub path_params: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct ApiSchema {
    endpoints: Vec<Endpoint>,
    routes: RouteTable,
}

impl ApiSchema {
    /// The schema compiled from the committed fixture, built on first use.
    pub fn embedded() -> &'static ApiSchema {
        static SCHEMA: OnceLock<ApiSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            // Proven invariant: the fixture is compiled in, and tests/schema_fixture.rs loads it.
            #[allow(clippy::expect_used)]
            ApiSchema::from_json(EMBEDDED_JSON)
                .expect("embedded assets/pve-api-subset.json must compile")
        })
    }

    /// Parse and compile a subset file (`{"endpoints": [{method, path, allowtoken, parameters,
    /// returns}, ...]}`).
    pub fn from_json(text: &str) -> Result<ApiSchema, SchemaError> {
        let doc: Value = serde_json::from_str(text)?;
        let list = doc
            .get("endpoints")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                SchemaError::Shape("expected an object with an `endpoints` array".into())
            })?;
        let mut schema = ApiSchema {
            endpoints: Vec::with_capacity(list.len()),
            routes: RouteTable::default(),
        };
        for (i, entry) in list.iter().enumerate() {
            let text_field = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| SchemaError::Shape(format!("endpoint #{i} has no string `{k}`")))
            };
            let method = text_field("method")?;
            let path = text_field("path")?;
            let name = format!("{method} {path}");
            let compile = |key: &str| {
                let node = entry.get(key).unwrap_or(&Value::Null);
                Prop::compile(node, key).map_err(|e| SchemaError::Compile {
                    endpoint: name.clone(),
                    at: e.at,
                    what: e.what,
                })
            };
            let params = compile("parameters")?;
            let returns = compile("returns")?;
            // `allowtoken` defaults to 1 in RESTHandler's method schema.
            let allowtoken = entry
                .get("allowtoken")
                .is_none_or(|v| v.as_i64() != Some(0) && v != &Value::Bool(false));
            schema
                .routes
                .insert(&method, &path, schema.endpoints.len())
                .map_err(|e| SchemaError::Route {
                    endpoint: name.clone(),
                    what: e.to_string(),
                })?;
            schema.endpoints.push(Endpoint {
                method,
                path,
                allowtoken,
                params: params.properties.unwrap_or_default(),
                params_additional: params.additional,
                returns,
            });
        }
        Ok(schema)
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoint for `method` + template path, exactly as written in the schema.
    pub fn endpoint(&self, method: &str, template: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.method == method && e.path == template)
    }

    /// Route a concrete path (the part after `/api2/json`, e.g. `/nodes/pve1/lxc/100/config`).
    pub fn route(&self, method: &str, path: &str) -> Option<Routed<'_>> {
        let (index, path_params) = self.routes.lookup(method, path)?;
        let endpoint = self.endpoints.get(index)?;
        Some(Routed {
            endpoint,
            path_params,
        })
    }

    pub fn knows(&self, method: &str, path: &str) -> bool {
        self.routes.lookup(method, path).is_some()
    }

    /// Validate request parameters the way PVE does before calling a handler: path-template
    /// values are merged in first (a conflicting duplicate is refused, as in pve-manager
    /// `HTTPServer.pm`), then the whole map is checked against `parameters`.
    ///
    /// Values are the decoded strings of the query string / form body; a JSON body's
    /// `true`/`false` must be turned into `1`/`0` by the caller (PVE accepts them there).
    /// An unknown endpoint yields `_root: Method '<M> <path>' not implemented`.
    pub fn check_params(
        &self,
        method: &str,
        path: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<(), BTreeMap<String, String>> {
        let Some(routed) = self.route(method, path) else {
            let mut errors = ParamErrors::new();
            errors.insert(
                "_root".into(),
                format!("Method '{method} {path}' not implemented"),
            );
            return Err(errors);
        };
        let mut merged = routed.path_params;
        for (key, value) in params {
            if merged.get(key).is_some_and(|from_uri| from_uri != value) {
                let mut errors = ParamErrors::new();
                errors.insert(
                    key.clone(),
                    "duplicate parameter (already defined in URI) with conflicting values!".into(),
                );
                return Err(errors);
            }
            merged.insert(key.clone(), value.clone());
        }
        let endpoint = routed.endpoint;
        let mut errors = ParamErrors::new();
        validate::check_object(
            "",
            &endpoint.params,
            &merged,
            &endpoint.params_additional,
            &mut errors,
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validate a response's `data` against `returns`; one message per violation, each naming
    /// its JSON path. An unknown endpoint yields a single message saying so.
    pub fn check_returns(&self, method: &str, path: &str, data: &Value) -> Vec<String> {
        match self.route(method, path) {
            Some(routed) => {
                let ep = routed.endpoint;
                returns::check(&ep.method, &ep.path, &ep.returns, data)
            }
            None => vec![format!("no schema for {method} {path}")],
        }
    }
}
