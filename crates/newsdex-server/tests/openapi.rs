//! The OpenAPI document stays true: its operations are routed, real responses match its
//! schemas, and the README's API section lists exactly its endpoints.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use newsdex_server::{ServerConfig, openapi_document};
use serde_json::Value;

use crate::support::{call, encode, get, post_articles, read_only, writable};

/// `(METHOD, /path)` of every operation in the document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            found.insert((method.to_uppercase(), path.clone()));
        }
    }
    found
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let document = openapi_document();
    let state = writable(ServerConfig::default());
    for (method, path) in operations(&document) {
        let uri = path.replace("{id}", "some-id");
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(&uri)
            .body(Body::empty())
            .expect("request");
        let answer = call(&state, request).await;
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "help: {method} {path} is documented but not routed"
        );
        let message = answer.body["error"]["message"].as_str().unwrap_or("");
        assert!(!message.starts_with("no route"), "help: {method} {path} is documented but not routed");
    }
    let served = get(&state, "/openapi.json").await;
    assert_eq!(served.body, document);
}

#[test]
fn every_reference_resolves() {
    let document = openapi_document();
    let text = document.to_string();
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap_or("");
        assert!(schemas.contains_key(name), "help: $ref to a missing schema {name}");
    }
    assert_eq!(document["openapi"], "3.1.0");
}

/// Checks `value` against the named schema: required properties present, no property the
/// schema does not declare, recursively through `$ref`s and arrays.
pub(crate) fn conforms(document: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return conforms(document, &document["components"]["schemas"][name], value, at);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = serde_json::Map::new();
        for part in parts {
            let name = part["$ref"].as_str().unwrap_or("").trim_start_matches("#/components/schemas/");
            let part_schema = &document["components"]["schemas"][name];
            for (property, property_schema) in part_schema["properties"].as_object().into_iter().flatten() {
                merged.insert(property.clone(), property_schema.clone());
            }
        }
        let combined = serde_json::json!({ "type": "object", "properties": merged });
        return conforms(document, &combined, value, at);
    }
    if value.is_null() {
        return;
    }
    if let Some(properties) = schema["properties"].as_object() {
        let object = value.as_object().unwrap_or_else(|| panic!("{at}: expected an object, got {value}"));
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or("");
            assert!(object.contains_key(name), "help: {at} lacks the required {name}: {value}");
        }
        for (name, property) in object {
            let declared = properties
                .get(name)
                .unwrap_or_else(|| panic!("help: {at}.{name} is answered but not in the OpenAPI schema"));
            conforms(document, declared, property, &format!("{at}.{name}"));
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            conforms(document, items, item, &format!("{at}[{index}]"));
        }
    }
}

pub(crate) fn schema(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

#[tokio::test]
async fn real_responses_match_their_schemas() {
    let document = openapi_document();
    let state = read_only(ServerConfig::default());
    let search = get(&state, &format!("/search?q={}&facets=true&limit=3", encode("半导体"))).await;
    assert!(search.body["hits"].as_array().is_some_and(|hits| !hits.is_empty()));
    conforms(&document, &schema("SearchResponse"), &search.body, "SearchResponse");
    let article = get(&state, "/articles/hans-cult-0001").await;
    conforms(&document, &schema("Article"), &article.body, "Article");
    let related = get(&state, "/articles/hant-tech-0001/related").await;
    conforms(&document, &schema("RelatedResponse"), &related.body, "RelatedResponse");
    conforms(&document, &schema("Stats"), &get(&state, "/stats").await.body, "Stats");
    conforms(&document, &schema("Ready"), &get(&state, "/ready").await.body, "Ready");
    conforms(&document, &schema("Health"), &get(&state, "/health").await.body, "Health");
    conforms(&document, &schema("Error"), &get(&state, "/search").await.body, "Error");

    let writable = writable(ServerConfig::default());
    let report =
        post_articles(&writable, "/articles", "application/x-ndjson", "{\"id\":\"a\",\"title\":\"t\"}\n{}\n")
            .await;
    conforms(&document, &schema("WriteReport"), &report.body, "WriteReport");
    let failed = post_articles(&writable, "/articles", "application/json", "[{}]").await;
    conforms(&document, &schema("WriteError"), &failed.body, "WriteError");
    let request = Request::delete("/articles/a")
        .header("authorization", format!("Bearer {}", crate::support::KEY))
        .body(Body::empty())
        .expect("request");
    conforms(&document, &schema("Deleted"), &call(&writable, request).await.body, "Deleted");
}

#[test]
fn the_readme_lists_exactly_the_documented_endpoints() {
    let readme_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(readme_path).expect("README.md");
    let section = readme
        .split("\n## HTTP API")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("help: the README needs a `## HTTP API` section");
    let mut listed = BTreeSet::new();
    for method in ["GET", "POST", "DELETE", "PUT", "PATCH"] {
        for piece in section.split(&format!("`{method} /")).skip(1) {
            let path = piece.split('`').next().unwrap_or("");
            let path = path.split('?').next().unwrap_or(path);
            listed.insert((method.to_string(), format!("/{path}")));
        }
    }
    let documented = operations(&openapi_document());
    assert_eq!(
        listed, documented,
        "help: the README's HTTP API section must name each endpoint as `METHOD /path`, exactly those of /openapi.json"
    );
}
