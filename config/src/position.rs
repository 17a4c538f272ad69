//! Byte offsets in the source to 1-based `line:column` (columns counted in characters).

/// Index of line starts of one source text.
pub(crate) struct LineIndex<'s> {
    source: &'s str,
    /// Byte offset of the first character of each line.
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    /// Index `source`.
    pub(crate) fn new(source: &'s str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { source, starts }
    }

    /// 1-based line and column (in characters) of byte offset `offset`.
    /// Offsets past the end or inside a multi-byte character are clamped.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self.source[start..offset].chars().count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_character_is_1_1() {
        assert_eq!(LineIndex::new("abc").line_col(0), (1, 1));
        assert_eq!(LineIndex::new("").line_col(0), (1, 1));
    }

    #[test]
    fn lines_and_columns_count_characters() {
        let idx = LineIndex::new("a = 1\nnamn = \"Bränslenivå\" x\n");
        assert_eq!(idx.line_col(6), (2, 1));
        let x = "a = 1\nnamn = \"Bränslenivå\" x\n"
            .find(" x")
            .expect("present")
            + 1;
        // 'ä' and 'å' are two bytes each but one column.
        assert_eq!(idx.line_col(x), (2, 22));
    }

    #[test]
    fn offset_after_newline_is_next_line() {
        let idx = LineIndex::new("a\nb\n");
        assert_eq!(idx.line_col(1), (1, 2));
        assert_eq!(idx.line_col(2), (2, 1));
        assert_eq!(idx.line_col(4), (3, 1));
        assert_eq!(idx.line_col(99), (3, 1));
    }
}
