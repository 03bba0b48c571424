//! A bound on a document's lexical tokens, checked before it is parsed. Parsing costs about a
//! microsecond and a half per field (every node is allocated), so 256 KiB of one-letter fields held a
//! worker for 180 ms before any other limit could look at it; counting tokens costs a nanosecond or two
//! per byte. graphql-js offers the same bound as the parser's `maxTokens`.

/// Most tokens a document may have (the standard introspection query has about 300; a large
/// storefront page a few hundred).
pub const MAX_TOKENS: usize = 10_000;

/// Whether `text` has at most `max` tokens (names, numbers, strings, punctuators; white space, commas
/// and comments are not tokens). Stops counting once past `max`. Text that is no GraphQL counts a token
/// per character it cannot read, so junk is refused as soon as it is long.
pub fn within(text: &str, max: usize) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut tokens = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                    at += if bytes[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 3;
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                at += 1;
                while at < bytes.len()
                    && matches!(bytes[at], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        tokens += 1;
        if tokens > max {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn tokens_are_counted_without_comments_strings_or_commas() {
        // `{`, `a`, `(`, `x`, `:`, `"s, t"`, `)`, `...`, `F`, `}`: 10 tokens.
        let text = "{ a(x: \"s, t\") # a comment with { many } tokens\n ...F, }";
        assert!(within(text, 10));
        assert!(!within(text, 9));
        assert!(within("\"\"\" a block { string } \\\"\"\" still \"\"\"", 1));
        assert!(within("{ a(n: -1.5e+3) }", 8));
        assert!(!within("{ a(n: -1.5e+3) }", 7));
        assert!(!within(&"a ".repeat(10_001), 10_000));
    }
}
