//! Data shapes read only from JSON objects.
//!
//! serde's derive reads a struct from a map and also from a sequence of its fields in
//! order, so `["x1", null, "title", "body"]` would be an article and `["半导体", 3]` a
//! search. No client means that; it is a wrong shape, and it is answered as one.

/// Implements `Serialize` and `Deserialize` for `$type`, whose derives are generated as
/// inherent functions with `#[serde(remote = "Self")]`, so that it is read only from a map;
/// anything else is `invalid type: sequence, expected $expecting`.
macro_rules! object_only_serde {
    ($type:ty, $expecting:literal) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$type>::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                struct ObjectOnly;
                impl<'de> serde::de::Visitor<'de> for ObjectOnly {
                    type Value = $type;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                        formatter.write_str($expecting)
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$type, A::Error> {
                        <$type>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(ObjectOnly)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{Article, Recency, SearchRequest, SnippetOptions};

    #[test]
    fn objects_are_read_and_written_as_before_and_nothing_else_is_read() {
        let article: Article =
            serde_json::from_str(r#"{"id": "a", "title": "t", "lang": "en"}"#).expect("object");
        let written = serde_json::to_string(&article).expect("json");
        assert_eq!(serde_json::from_str::<Article>(&written).expect("round trip"), article);
        let request: SearchRequest = serde_json::from_str(
            r#"{"q": "半导体", "recency": {"half_life_days": 7}, "snippet": {"fragments": 2}}"#,
        )
        .expect("object");
        assert_eq!((request.query.as_str(), request.snippet.fragments), ("半导体", 2));
        assert_eq!(
            serde_json::from_str::<SearchRequest>(&serde_json::to_string(&request).expect("json")).ok(),
            Some(request)
        );

        for (error, expecting) in [
            (serde_json::from_str::<Article>(r#"["x1", null, "title", "body"]"#).err(), "an article"),
            (serde_json::from_str::<SearchRequest>(r#"["半导体", 3]"#).err(), "a search request"),
            (serde_json::from_str::<Recency>("[30, 0.5]").err(), "a recency setting"),
            (serde_json::from_str::<SnippetOptions>("[1]").err(), "snippet options"),
            (serde_json::from_str::<Article>(r#""x""#).err(), "an article"),
        ] {
            let message = error.map(|error| error.to_string()).unwrap_or_default();
            assert!(message.contains(&format!("expected {expecting} (a JSON object)")), "{message}");
        }
    }
}
