//! Kernel command line options: whitespace-separated `key=value` words and
//! bare `key` flags.
//!
//! No quoting: a value cannot contain spaces. When a key appears more than
//! once the last occurrence wins, so a later word overrides an earlier one.

/// The value of option `key`: `Some("")` for a bare `key`, `Some(value)` for
/// `key=value`, `None` if the key is absent (or `key` is empty).
pub fn option<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() {
        return None;
    }
    cmdline.split_ascii_whitespace().rev().find_map(|word| match word.strip_prefix(key)? {
        "" => Some(""),
        rest => rest.strip_prefix('='),
    })
}

/// Whether `key` is present at all, with or without a value.
pub fn has_flag(cmdline: &str, key: &str) -> bool {
    option(cmdline, key).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_and_flags() {
        let line = "  console=com1 quiet  loglevel=7\ttest=ipc ";
        assert_eq!(option(line, "console"), Some("com1"));
        assert_eq!(option(line, "quiet"), Some(""));
        assert_eq!(option(line, "loglevel"), Some("7"));
        assert_eq!(option(line, "test"), Some("ipc"));
        assert!(has_flag(line, "quiet"));
        assert!(!has_flag(line, "verbose"));
    }

    #[test]
    fn key_must_match_a_whole_word_prefix() {
        let line = "consoles=2 quietly xtest=1";
        assert_eq!(option(line, "console"), None);
        assert_eq!(option(line, "quiet"), None);
        assert_eq!(option(line, "test"), None);
        assert_eq!(option(line, "consoles"), Some("2"));
    }

    #[test]
    fn empty_value_last_occurrence_and_edge_cases() {
        assert_eq!(option("mode=", "mode"), Some(""));
        assert_eq!(option("mode=a mode=b", "mode"), Some("b"));
        assert_eq!(option("path=a=b", "path"), Some("a=b"));
        assert_eq!(option("", "mode"), None);
        assert_eq!(option("=x", ""), None);
    }
}
