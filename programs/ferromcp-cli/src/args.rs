//! Tool and prompt arguments typed on the command line.

use serde_json::{Map, Value};

/// Builds a tool's arguments object from `KEY=VALUE` words (a VALUE that parses as JSON is
/// taken as JSON, anything else as a string), a word that is a whole JSON object, and the
/// `--args` object. Later keys win; `KEY=VALUE` pairs win over `--args`.
pub(crate) fn tool_arguments(words: &[String], args_json: Option<&str>) -> Result<Value, String> {
    let mut object = Map::new();
    if let Some(json) = args_json {
        object.extend(parse_object(json, "--args")?);
    }
    for word in words {
        if word.trim_start().starts_with('{') {
            object.extend(parse_object(word, "the argument")?);
            continue;
        }
        let (key, value) = split_pair(word)?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        object.insert(key.to_owned(), value);
    }
    Ok(Value::Object(object))
}

/// Prompt arguments, which MCP keeps as strings: `KEY=VALUE` words, taken literally.
pub(crate) fn prompt_arguments(words: &[String]) -> Result<Vec<(String, String)>, String> {
    words
        .iter()
        .map(|word| split_pair(word).map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn split_pair(word: &str) -> Result<(&str, &str), String> {
    match word.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        _ => Err(format!(
            "expected KEY=VALUE, got {word:?} (write text='…' for a string, n=3 for a number)"
        )),
    }
}

fn parse_object(json: &str, what: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("{what} must be a JSON object, not {other}")),
        Err(error) => Err(format!("{what} is not valid JSON: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_are_json_when_they_parse() {
        let args = tool_arguments(
            &words(&[
                "a=1",
                "b=true",
                "c=hello world",
                "d=[1,2]",
                "e=",
                "f=\"7\"",
                "g=x=y",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            args,
            json!({"a": 1, "b": true, "c": "hello world", "d": [1, 2], "e": "", "f": "7", "g": "x=y"})
        );
    }

    #[test]
    fn objects_merge_and_pairs_win() {
        let args =
            tool_arguments(&words(&["{\"a\": 1, \"b\": 2}", "b=3"]), Some("{\"c\": 4}")).unwrap();
        assert_eq!(args, json!({"a": 1, "b": 3, "c": 4}));
        assert_eq!(tool_arguments(&[], None).unwrap(), json!({}));
    }

    #[test]
    fn bad_words_are_explained() {
        assert!(tool_arguments(&words(&["novalue"]), None)
            .unwrap_err()
            .contains("KEY=VALUE"));
        assert!(tool_arguments(&words(&["=1"]), None).is_err());
        assert!(tool_arguments(&[], Some("[1]"))
            .unwrap_err()
            .contains("JSON object"));
        assert!(tool_arguments(&[], Some("{"))
            .unwrap_err()
            .contains("not valid JSON"));
        assert_eq!(
            prompt_arguments(&words(&["code=1+1", "language=rust"])).unwrap(),
            vec![
                ("code".to_string(), "1+1".to_string()),
                ("language".to_string(), "rust".to_string())
            ]
        );
    }
}
