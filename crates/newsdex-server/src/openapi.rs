//! The OpenAPI 3.1 document of the API, served at `/openapi.json`.
//!
//! Written beside the code rather than derived: the library's types cannot carry an
//! OpenAPI derive (the library depends on no HTTP crate). Tests keep it true: every
//! operation here is routed, every route is here, the README lists exactly these paths,
//! and real responses carry only the properties their schemas declare.

use serde_json::{Value, json};

use crate::ServerConfig;

fn reference(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": reference(schema) } } })
}

fn error_response(description: &str) -> Value {
    json_response(description, "Error")
}

fn string_list(description: &str) -> Value {
    json!({ "type": "array", "items": { "type": "string" }, "description": description })
}

fn query_parameter(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

/// The document, with the limits of the default [`ServerConfig`].
pub fn openapi_document() -> Value {
    let defaults = ServerConfig::default();
    let read_security = json!([{}, { "readKey": [] }]);
    let write_security = json!([{ "apiKey": [] }]);
    let id_parameter = json!({
        "name": "id", "in": "path", "required": true, "schema": { "type": "string" },
        "description": "The article id, percent-encoded (encodeURIComponent): ids are data, so `a/b` is sent as `a%2Fb`."
    });
    let search_parameters = json!([
        { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": defaults.max_query_chars },
          "description": "The query: words, \"phrases\"~slop, -exclusion or NOT, OR, title:/body: fields, word* prefixes, \"phrase prefi\"* phrases ending in a prefix, word~ fuzzy words, lang:/source:/category: filters; * alone lists every article." },
        query_parameter("limit", json!({ "type": "integer", "minimum": 0, "maximum": newsdex::MAX_LIMIT, "default": 10 }), "Hits per page."),
        query_parameter("offset", json!({ "type": "integer", "minimum": 0, "default": 0 }), "Hits to skip; offset + limit is at most the result window (1000)."),
        query_parameter("lang", json!({ "type": "string" }), "Languages (zh-Hans, zh-Hant, en); repeat or comma-separate."),
        query_parameter("source", json!({ "type": "string" }), "Sources; repeat or comma-separate."),
        query_parameter("category", json!({ "type": "string" }), "Categories; repeat or comma-separate."),
        query_parameter("from", json!({ "type": "string" }), "Published at or after: YYYY-MM-DD or RFC 3339, years 1678 to 2261."),
        query_parameter("to", json!({ "type": "string" }), "Published at or before: YYYY-MM-DD (the whole day) or RFC 3339, years 1678 to 2261."),
        query_parameter("sort", json!({ "type": "string", "enum": ["relevance", "date"], "default": "relevance" }), "Ordering."),
        query_parameter("facets", json!({ "type": "boolean", "default": false }), "Count matches per language, source, category and month (with Quickwit: its terms aggregations)."),
        query_parameter("exact_total", json!({ "type": "boolean", "default": false }), "Count every match. Otherwise a query ranked without visiting every match (words any of which may match, several words all required or one phrase; filters allowed; recency or not; no facets), and a date-sorted search without facets, stops counting at 10,000 and answers total_exact: false."),
        query_parameter("synonyms", json!({ "type": "boolean", "default": true }), "Whether query words also find their synonyms and the other region's wording of Chinese words (软件 finding Taiwan's 軟體); false searches the words as typed, and a query finding nothing is not searched respelt."),
        query_parameter("recency_half_life", json!({ "type": "number", "exclusiveMinimum": 0 }), "Days at which the recency factor halves."),
        query_parameter("recency_weight", json!({ "type": "number", "minimum": 0, "maximum": 1 }), "How much recency counts (default 0.5)."),
        query_parameter("fragments", json!({ "type": "integer", "minimum": 0 }), "Snippet fragments per hit (default 3)."),
        query_parameter("fragment_size", json!({ "type": "integer" }), "Longest fragment, in characters (default 160); also fragment_chars."),
        query_parameter("pre_tag", json!({ "type": "string" }), "Inserted before each highlight (default <mark>)."),
        query_parameter("post_tag", json!({ "type": "string" }), "Inserted after each highlight (default </mark>).")
    ]);
    let range = json!({ "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2 });
    let search_request = json!({ "type": "object", "required": ["query"], "additionalProperties": false, "properties": {
                    "query": { "type": "string" }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
                    "lang": string_list("Languages."), "source": string_list("Sources."), "category": string_list("Categories."),
                    "from": { "type": "string" }, "to": { "type": "string" },
                    "sort": { "type": "string", "enum": ["relevance", "date"] }, "facets": { "type": "boolean" },
                    "exact_total": { "type": "boolean" }, "synonyms": { "type": "boolean" },
                    "recency": { "type": "object", "additionalProperties": false, "properties": { "half_life_days": { "type": "number" }, "weight": { "type": "number" }, "reference": { "type": "string" } } },
                    "snippet": { "type": "object", "additionalProperties": false, "properties": { "fragments": { "type": "integer" }, "fragment_chars": { "type": "integer" }, "fragment_size": { "type": "integer", "description": "The same as fragment_chars." }, "pre_tag": { "type": "string" }, "post_tag": { "type": "string" } } } } });
    let search_response = json!({ "type": "object", "required": ["query", "total", "total_exact", "took_ms", "hits", "applied"], "properties": {
                    "query": { "type": "string" }, "total": { "type": "integer", "description": "Matching articles; a lower bound when total_exact is false." },
                    "total_exact": { "type": "boolean", "description": "Whether total is the exact count (see the exact_total parameter)." },
                    "took_ms": { "type": "integer" },
                    "hits": { "type": "array", "items": reference("Hit") }, "facets": reference("Facets"),
                    "applied": { "type": "object", "description": "How the request was understood: limit, offset, sort, matching (all/any), terms, filters, ranking, notes, and respelt: true when the query as given found nothing and the hits are those of the suggestion (never with synonyms=false)." },
                    "suggestion": { "type": "string", "description": "Did you mean: the query with its misspelt words respelt (goverment → government), when a word typed in Latin letters is held by no article, or by far fewer than a word one edit away. A word that is the pinyin of a Chinese word articles hold, toneless or with tones, may be suggested in Chinese (bandaoti → 半导体, zhong guo → 中国, zhōngguó or zhong1guo2 → 中国). Chinese words no article writes beside the words typed around them may be suggested with a character replaced by one read alike, as articles write them there (房价上张 → 房价上涨, 新冠病读 → 新冠病毒). When the query as given found nothing, the hits are this query's (applied.respelt). Absent otherwise, and always with the Quickwit backend." } } });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "newsdex",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Search for bilingual (Simplified Chinese, Traditional Chinese, English) news, served from a local index or a Quickwit cluster (`newsdex serve --backend`) with the same requests and answers. Errors are `{\"error\": {\"code\", \"message\"}}`: 4xx for the caller's mistakes, 5xx for the server's. Requests over the concurrency limit or the request timeout are answered 503. With the Quickwit backend, 502 (`backend_error`) means Quickwit answered with an error and 503 (`backend_unavailable`) that it does not answer."
        },
        "paths": {
            "/": { "get": {
                "operationId": "page", "summary": "The search page (HTML).", "tags": ["page"],
                "responses": { "200": { "description": "The page.", "content": { "text/html": {} } } }
            }},
            "/search": {
                "get": {
                    "operationId": "searchGet", "summary": "Ranked, highlighted hits for a query.", "tags": ["search"],
                    "security": read_security, "parameters": search_parameters,
                    "responses": {
                        "200": json_response("A result page.", "SearchResponse"),
                        "400": error_response("A missing or empty q, a bad parameter, a parameter that is not UTF-8 once percent-decoded, a query too long or with nothing searchable."),
                        "401": error_response("A read key is set and the request lacks it."),
                        "502": error_response("Quickwit backend: Quickwit answered with an error."),
                        "503": error_response("Overloaded, timed out, or the Quickwit backend does not answer; retry.")
                    }
                },
                "post": {
                    "operationId": "searchPost", "summary": "The same search, options as a JSON body.", "tags": ["search"],
                    "security": read_security,
                    "requestBody": { "required": true, "content": { "application/json": { "schema": reference("SearchRequest") } } },
                    "responses": {
                        "200": json_response("A result page.", "SearchResponse"),
                        "400": error_response("Malformed JSON or a bad option."),
                        "401": error_response("A read key is set and the request lacks it."),
                        "413": error_response("The body is over the limit."),
                        "415": error_response("The body is not application/json."),
                        "422": error_response("JSON that is not a search request: a field of the wrong type or an invalid value (code invalid_request)."),
                        "502": error_response("Quickwit backend: Quickwit answered with an error."),
                        "503": error_response("Overloaded, timed out, or the Quickwit backend does not answer; retry.")
                    }
                }
            },
            "/articles": { "post": {
                "operationId": "postArticles",
                "summary": "Write articles: one JSON object, a JSON array, or JSON Lines. Upserts by id; answered once committed. With the Quickwit backend an upsert deletes the earlier version by query, then ingests: `visibility` says when the earlier version stops matching.",
                "tags": ["articles"], "security": write_security,
                "parameters": [query_parameter("on_error", json!({ "type": "string", "enum": ["skip", "fail"], "default": "skip" }),
                    "skip: write the valid articles and report the others; fail: write nothing if any is invalid.")],
                "requestBody": { "required": true, "content": {
                    "application/json": { "schema": { "oneOf": [reference("Article"), { "type": "array", "items": reference("Article") }] } },
                    "application/x-ndjson": { "schema": { "type": "string", "description": "One Article object per line." } }
                }},
                "responses": {
                    "200": json_response("Every valid article is committed (durable and searchable); `visibility` says when replaced versions stop matching.", "WriteReport"),
                    "400": json_response("Nothing was written: no valid article, or an invalid one with on_error=fail. The body carries the report beside the error.", "WriteError"),
                    "401": error_response("The API key is missing or wrong."),
                    "403": error_response("The server accepts no writes (started without an API key)."),
                    "413": error_response("The body is over the limit."),
                    "415": error_response("Not application/json or application/x-ndjson."),
                    "502": error_response("Quickwit backend: Quickwit refused the write (articles already sent may be written; retrying is safe)."),
                    "503": error_response("Overloaded, timed out (the write may still commit; retrying is safe), shutting down, or the Quickwit backend does not answer.")
                }
            }},
            "/articles/{id}": {
                "get": {
                    "operationId": "getArticle", "summary": "The stored article.", "tags": ["articles"],
                    "security": read_security, "parameters": [id_parameter],
                    "responses": {
                        "200": json_response("The article.", "Article"),
                        "400": error_response("The id is not valid percent-encoded UTF-8."),
                        "401": error_response("A read key is set and the request lacks it."),
                        "404": error_response("No article has this id."),
                        "502": error_response("Quickwit backend: Quickwit answered with an error."),
                        "503": error_response("The Quickwit backend does not answer.")
                    }
                },
                "delete": {
                    "operationId": "deleteArticle", "summary": "Delete an article; answered once committed (with the Quickwit backend: once the delete task is created; `visibility` says when it applies).", "tags": ["articles"],
                    "security": write_security, "parameters": [id_parameter],
                    "responses": {
                        "200": json_response("Deleted and committed.", "Deleted"),
                        "401": error_response("The API key is missing or wrong."),
                        "403": error_response("The server accepts no writes."),
                        "404": error_response("No article has this id."),
                        "502": error_response("Quickwit backend: Quickwit answered with an error."),
                        "503": error_response("Shutting down, or the Quickwit backend does not answer.")
                    }
                }
            },
            "/articles/{id}/related": { "get": {
                "operationId": "relatedArticles", "summary": "Articles most like this one (its most distinctive words, in either script), the article itself left out.", "tags": ["articles"],
                "security": read_security,
                "parameters": [id_parameter, query_parameter("limit", json!({ "type": "integer", "minimum": 0, "default": 5 }), "How many related articles, at most the result window.")],
                "responses": {
                    "200": json_response("The related articles, most similar first, highlighted like search hits.", "RelatedResponse"),
                    "400": error_response("A bad limit, an unknown parameter or an id that is not valid percent-encoded UTF-8."),
                    "401": error_response("A read key is set and the request lacks it."),
                    "404": error_response("No article has this id."),
                    "501": error_response("The Quickwit backend: related articles need document frequencies Quickwit's search API does not give; serve a local index for them.")
                }
            }},
            "/health": { "get": {
                "operationId": "health", "summary": "Liveness: the process answers.", "tags": ["operations"],
                "responses": { "200": json_response("Alive.", "Health") }
            }},
            "/ready": { "get": {
                "operationId": "ready", "summary": "Readiness: the backend answers (a local index is open; Quickwit counts the index's documents), and the writer runs when writes are enabled.", "tags": ["operations"],
                "responses": { "200": json_response("Ready.", "Ready"), "503": error_response("Not ready.") }
            }},
            "/stats": { "get": {
                "operationId": "stats", "summary": "The backend, its articles, storage (local: segments and bytes; Quickwit: splits and bytes), analyzer, uptime.", "tags": ["operations"],
                "security": read_security,
                "responses": {
                    "200": json_response("Statistics.", "Stats"),
                    "401": error_response("A read key is set and the request lacks it."),
                    "502": error_response("Quickwit backend: Quickwit answered with an error."),
                    "503": error_response("The Quickwit backend does not answer.")
                }
            }},
            "/metrics": { "get": {
                "operationId": "metrics", "summary": "Prometheus metrics (text format 0.0.4).", "tags": ["operations"],
                "security": read_security,
                "responses": { "200": { "description": "Metrics.", "content": { "text/plain": {} } }, "401": error_response("A read key is set and the request lacks it.") }
            }},
            "/openapi.json": { "get": {
                "operationId": "openapi", "summary": "This document.", "tags": ["operations"],
                "responses": { "200": { "description": "OpenAPI 3.1.", "content": { "application/json": {} } } }
            }}
        },
        "components": {
            "securitySchemes": {
                "apiKey": { "type": "http", "scheme": "bearer", "description": "The write key (--api-key)." },
                "readKey": { "type": "http", "scheme": "bearer", "description": "The read key (--read-api-key), when set; the write key is accepted too." }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": {
                    "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "examples": ["bad_request", "invalid_query", "unauthorized", "not_found", "overloaded", "timeout"] },
                        "message": { "type": "string" } } } } },
                "Article": { "type": "object", "required": ["id"], "properties": {
                    "id": { "type": "string", "maxLength": newsdex::MAX_ID_BYTES, "description": "Unique; writing an existing id replaces the article." },
                    "lang": { "type": "string", "enum": ["zh-Hans", "zh-Hant", "en"], "description": "Detected from the text when missing." },
                    "title": { "type": "string" },
                    "body": { "type": "string", "description": "Paragraphs separated by \\n. Title and body may not both be empty." },
                    "date": { "type": "string", "description": "YYYY-MM-DD or RFC 3339." },
                    "source": { "type": "string" }, "category": { "type": "string" }, "url": { "type": "string" } } },
                "LineError": { "type": "object", "required": ["line", "message"], "properties": {
                    "line": { "type": "integer", "description": "The line of the body where the item starts." },
                    "id": { "type": "string" },
                    "item": { "type": "integer", "description": "For a JSON array body: the item's 1-based place in it." },
                    "message": { "type": "string" } } },
                "Visibility": { "type": "object", "required": ["kind"], "properties": {
                    "kind": { "type": "string", "enum": ["immediate", "deletes_pending"], "description": "immediate: every later search sees the change. deletes_pending (Quickwit backend): new versions are searchable now; replaced or deleted versions keep matching until Quickwit applies the delete tasks." },
                    "delete_tasks": { "type": "array", "items": { "type": "integer" }, "description": "The Quickwit delete tasks' opstamps." },
                    "detail": { "type": "string", "description": "When the delete tasks are expected to apply." } } },
                "WriteReport": { "type": "object", "required": ["indexed", "rejected", "errors"], "properties": {
                    "indexed": { "type": "integer" }, "rejected": { "type": "integer" },
                    "errors": { "type": "array", "items": reference("LineError"), "description": "The first 100 rejected items." },
                    "visibility": reference("Visibility") } },
                "WriteError": { "allOf": [reference("Error"), reference("WriteReport")] },
                "Deleted": { "type": "object", "required": ["id", "deleted", "visibility"], "properties": {
                    "id": { "type": "string" }, "deleted": { "type": "boolean" }, "visibility": reference("Visibility") } },
                "Health": { "type": "object", "required": ["status"], "properties": { "status": { "const": "ok" } } },
                "Ready": { "type": "object", "required": ["status", "backend", "articles", "writes"], "properties": {
                    "status": { "const": "ready" }, "backend": { "type": "string", "enum": ["local", "quickwit"] },
                    "articles": { "type": "integer", "description": "Articles searches see (Quickwit: including versions whose delete is pending)." },
                    "writes": { "type": "string", "enum": ["enabled", "disabled"] } } },
                "Stats": { "type": "object", "required": ["backend", "articles", "analyzer", "uptime_seconds", "version", "writes"], "properties": {
                    "backend": { "type": "string", "enum": ["local", "quickwit"] },
                    "articles": { "type": "integer", "description": "Articles searches see (Quickwit: including replaced or deleted versions whose delete task has not applied)." },
                    "deleted_articles": { "type": "integer", "description": "Local: replaced or deleted articles taking space until their segments merge." },
                    "segments": { "type": "integer", "description": "Local: searchable segments." },
                    "index_bytes": { "type": "integer", "description": "Local: bytes of the searchable segments." },
                    "quickwit_url": { "type": "string", "description": "Quickwit: the cluster's address." },
                    "index_id": { "type": "string", "description": "Quickwit: the index." },
                    "splits": { "type": "integer", "description": "Quickwit: published splits." },
                    "split_bytes": { "type": "integer", "description": "Quickwit: bytes of the published splits." },
                    "analyzer": { "type": "object", "properties": { "name": { "type": "string" }, "version": { "type": "integer" }, "dictionary": { "type": "string" }, "english_stop_words_removed": { "type": "boolean" }, "sub_words_indexed": { "type": "boolean" }, "hmm": { "type": "boolean" } } },
                    "path": { "type": "string", "description": "Local: the index directory (absent in memory)." }, "uptime_seconds": { "type": "number" }, "version": { "type": "string" },
                    "writes": { "type": "string", "enum": ["enabled", "disabled"] } } },
                "SearchRequest": search_request,
                "TextRange": { "type": "object", "required": ["byte", "char", "utf16"], "properties": {
                    "byte": range, "char": range, "utf16": range } },
                "Fragment": { "type": "object", "required": ["text", "html", "range", "highlights"], "properties": {
                    "text": { "type": "string" }, "html": { "type": "string" }, "range": reference("TextRange"),
                    "highlights": { "type": "array", "items": reference("TextRange") } } },
                "Hit": { "type": "object", "required": ["id", "score", "title", "title_html", "snippet", "fragments", "title_highlights"], "properties": {
                    "id": { "type": "string" }, "score": { "type": "number" }, "title": { "type": "string" },
                    "title_html": { "type": "string", "description": "HTML-escaped title with highlights in the tags." },
                    "snippet": { "type": "string", "description": "The best fragment as HTML." },
                    "fragments": { "type": "array", "items": reference("Fragment") },
                    "title_highlights": { "type": "array", "items": reference("TextRange") },
                    "lang": { "type": ["string", "null"] }, "source": { "type": ["string", "null"] },
                    "category": { "type": ["string", "null"] }, "date": { "type": ["string", "null"] }, "url": { "type": ["string", "null"] } } },
                "FacetCount": { "type": "object", "required": ["value", "count"], "properties": {
                    "value": { "type": "string" }, "count": { "type": "integer" } } },
                "Facets": { "type": "object", "properties": {
                    "lang": { "type": "array", "items": reference("FacetCount") }, "source": { "type": "array", "items": reference("FacetCount") },
                    "category": { "type": "array", "items": reference("FacetCount") }, "month": { "type": "array", "items": reference("FacetCount") } } },
                "RelatedResponse": { "type": "object", "required": ["id", "took_ms", "hits"], "properties": {
                    "id": { "type": "string" }, "took_ms": { "type": "integer" },
                    "hits": { "type": "array", "items": reference("Hit") } } },
                "SearchResponse": search_response
            }
        }
    })
}
