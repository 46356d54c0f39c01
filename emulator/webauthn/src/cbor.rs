//! CBOR helpers over ciborium: read exactly one item from a slice, and map lookups by key.

use ciborium::Value;

/// Nesting deeper than this is rejected (real WebAuthn structures nest at most 3 deep).
const MAX_DEPTH: usize = 16;

/// Reads one CBOR item from the front of `rest`, advancing it past the item.
pub(crate) fn read_item(rest: &mut &[u8]) -> Result<Value, String> {
    ciborium::de::from_reader_with_recursion_limit(&mut *rest, MAX_DEPTH).map_err(|e| match e {
        ciborium::de::Error::Io(_) => "truncated CBOR".to_owned(),
        other => other.to_string(),
    })
}

/// Advances `rest` past one CBOR item.
pub(crate) fn skip_item(rest: &mut &[u8]) -> Result<(), String> {
    read_item(rest).map(drop)
}

/// Reads one item that must span all of `bytes`.
pub(crate) fn read_exact(bytes: &[u8], structure: &'static str) -> Result<Value, crate::Error> {
    let mut rest = bytes;
    let value = read_item(&mut rest)
        .map_err(|detail| crate::Error::AttestationObjectMalformed { detail })?;
    if !rest.is_empty() {
        return Err(crate::Error::TrailingBytes {
            structure,
            count: rest.len(),
        });
    }
    Ok(value)
}

/// The value under text key `key` in a CBOR map.
pub(crate) fn text_key<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}

/// The value under integer key `key` in a CBOR map.
pub(crate) fn int_key(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == i128::from(key)))
        .map(|(_, v)| v)
}

/// An integer value that fits in i64.
pub(crate) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}
