//! docs/JSON.md: every tool's JSON fields, generated from the record declarations
//! (the JSON Schema schemars derives from each record struct and its doc comments).
//! The tests check real output against the same declarations (tests/it/helpers/output.rs:
//! assert_declared), and the test below checks the file is what the declarations
//! generate, so documentation, declarations and output cannot drift apart.
//! `EBPF_TRACERS_WRITE_DOCS=1 cargo test --lib json_docs` rewrites the file.

use serde_json::Value;

use crate::tools::ToolKind;
use crate::tools::ALL;

/// Where the generated reference lives, from the crate root.
pub const PATH: &str = "docs/JSON.md";

/// One documented field.
struct Field {
    name: String,
    kind: String,
    always: bool,
    meaning: String,
}

/// The whole of docs/JSON.md.
pub fn reference() -> String {
    let mut out = String::from(
        "<!-- Generated from the record declarations (src/app/json_docs.rs); do not edit. -->\n\
         # JSON output of every tool\n\n\
         With `--json` every tool prints one object per line. Every line starts with\n\
         `time`: RFC 3339, UTC, nanoseconds; for an event, when the kernel saw it; for a\n\
         report, when it was made. *Always* says whether a field is on every line; the\n\
         others appear where the tool or an option puts them (-P, -E, a container) or\n\
         are null. Reports of counting tools have a `scope` (`interval` or `total`).\n",
    );
    for tool in ALL {
        if tool.kind == ToolKind::Helper {
            continue;
        }
        out.push_str(&format!("\n## {}\n\n{}\n", tool.name, tool.about));
        for (what, schema) in [
            ("Event", tool.event_schema()),
            ("Report", tool.report_schema()),
        ] {
            let Some(schema) = schema else { continue };
            let root = schema.as_value();
            let mut fields = vec![Field {
                name: "time".into(),
                kind: "string".into(),
                always: true,
                meaning: "RFC 3339 UTC time with nanoseconds (the runtime's)".into(),
            }];
            object_fields(root, root, "", &mut fields);
            out.push_str(&format!(
                "\n{what}:\n\n| field | type | always | meaning |\n|---|---|---|---|\n"
            ));
            for field in fields {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    field.name,
                    field.kind,
                    if field.always { "yes" } else { "" },
                    field.meaning.replace('|', "\\|")
                ));
            }
        }
    }
    out
}

/// The definition a `$ref` points to, or the schema itself.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(
            &root["$defs"][reference.trim_start_matches("#/$defs/")],
            root,
        ),
        None => schema,
    }
}

/// The schema without its null alternative, and whether it had one.
fn non_null<'a>(schema: &'a Value, root: &'a Value) -> (&'a Value, bool) {
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let is_null = |b: &&Value| b.get("type") == Some(&Value::from("null"));
            if branches.iter().any(|b| is_null(&b)) {
                if let Some(other) = branches.iter().find(|b| !is_null(b)) {
                    return (resolve(other, root), true);
                }
            }
        }
    }
    let schema = resolve(schema, root);
    let nullable = schema["type"]
        .as_array()
        .is_some_and(|types| types.contains(&Value::from("null")));
    (schema, nullable)
}

/// The JSON type of a scalar schema, with its values when it is an enumeration.
fn scalar_kind(schema: &Value) -> String {
    let mut values: Vec<String> = Vec::new();
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        values.extend(list.iter().map(|v| v.to_string()));
    }
    for key in ["oneOf", "anyOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(value) = branch
                .get("const")
                .or(branch.get("enum").and_then(|e| e.get(0)))
            {
                values.push(value.to_string());
            }
        }
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .filter(|kind| *kind != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ if !values.is_empty() => "string".into(),
        _ => "any".into(),
    };
    match values.is_empty() {
        true => kind,
        false => format!("{kind}: {}", values.join(", ")),
    }
}

fn text_of(schema: &Value) -> Option<String> {
    let text = schema.get("description")?.as_str()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The fields of an object schema (those of nested objects as `outer.inner`, of arrays
/// of objects as `outer[].inner`), in declaration order.
fn object_fields(schema: &Value, root: &Value, prefix: &str, out: &mut Vec<Field>) {
    let schema = resolve(schema, root);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let (core, nullable) = non_null(property, root);
        let meaning = text_of(property)
            .or_else(|| text_of(core))
            .unwrap_or_default();
        let always = required.contains(&name.as_str()) && !nullable;
        let full = format!("{prefix}{name}");
        let items = core.get("items").map(|items| resolve(items, root));
        let (kind, nested): (String, Option<(&Value, String)>) = if core.get("properties").is_some()
        {
            ("object".into(), Some((core, format!("{full}."))))
        } else if let Some(items) = items {
            match items.get("properties") {
                Some(_) => (
                    "array of objects".into(),
                    Some((items, format!("{full}[]."))),
                ),
                None => (format!("array of {}", scalar_kind(items)), None),
            }
        } else {
            (scalar_kind(core), None)
        };
        out.push(Field {
            name: full,
            kind,
            always,
            meaning,
        });
        if let Some((nested, prefix)) = nested {
            object_fields(nested, root, &prefix, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_json_md_is_what_the_declarations_generate() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let generated = reference();
        if std::env::var_os("EBPF_TRACERS_WRITE_DOCS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == generated,
            "{PATH} is not what the record declarations generate: run \
             `EBPF_TRACERS_WRITE_DOCS=1 cargo test --lib json_docs` and commit it"
        );
    }

    #[test]
    fn every_tool_that_prints_json_and_each_declared_field_is_documented() {
        let docs = reference();
        for tool in ALL.iter().filter(|tool| tool.kind != ToolKind::Helper) {
            assert!(
                docs.contains(&format!("\n## {}\n", tool.name)),
                "{}",
                tool.name
            );
            let schema = tool.event_schema().or(tool.report_schema()).unwrap();
            for field in schema.as_value()["properties"].as_object().unwrap().keys() {
                assert!(
                    docs.contains(&format!("| `{field}` |")),
                    "{}: {field}",
                    tool.name
                );
            }
        }
    }
}
