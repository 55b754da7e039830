//! Selection and scrolling for a list whose rows are identified by id, not by index.
//!
//! Rows move when data refreshes (new history on top, balances reordered); following the id
//! keeps the user on the row they chose. The scroll offset and viewport height live in `Cell`s
//! because only rendering knows the height: render records it, navigation uses it for paging
//! (gitui keeps its scroll state the same way).

use std::cell::Cell;

/// A movement within a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    selected: Option<String>,
    /// Where the selected row was last seen, to land nearby when that row disappears.
    last_index: usize,
    offset: Cell<usize>,
    viewport_rows: Cell<usize>,
}

impl Selection {
    pub fn selected_id(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The index of the selected row in `ids`, if it is there.
    pub fn index_in<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Option<usize> {
        let selected = self.selected.as_deref()?;
        ids.into_iter().position(|id| id == selected)
    }

    /// The index of the selected row among `len` rows read through `id_at`, checking where it
    /// was last seen first: O(1) on every frame of a 100k-row history unless rows moved.
    pub fn locate<'a>(&self, len: usize, id_at: impl Fn(usize) -> &'a str) -> Option<usize> {
        let selected = self.selected.as_deref()?;
        if self.last_index < len && id_at(self.last_index) == selected {
            return Some(self.last_index);
        }
        (0..len).find(|&index| id_at(index) == selected)
    }

    /// Selects the row with this id.
    pub fn select(&mut self, id: &str, index: usize) {
        self.selected = Some(id.to_string());
        self.last_index = index;
    }

    pub fn clear(&mut self) {
        self.selected = None;
        self.last_index = 0;
        self.offset.set(0);
    }

    /// After the rows changed: keep the selected id if it is still there, else select the row
    /// now at the old position (or the last row), else nothing when the list is empty.
    pub fn follow(&mut self, ids: &[&str]) {
        if ids.is_empty() {
            self.selected = None;
            return;
        }
        if let Some(index) = self.index_in(ids.iter().copied()) {
            self.last_index = index;
            return;
        }
        let index = self.last_index.min(ids.len() - 1);
        self.select(ids[index], index);
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_by(&mut self, ids: &[&str], delta: isize) {
        if ids.is_empty() {
            return;
        }
        let current = self.index_in(ids.iter().copied());
        let target = match current {
            None => 0,
            Some(index) => index.saturating_add_signed(delta).min(ids.len() - 1),
        };
        self.select(ids[target], target);
    }

    /// Applies a movement to the list `ids`.
    pub fn apply(&mut self, ids: &[&str], nav: Nav) {
        let page = isize::try_from(self.page_rows()).unwrap_or(isize::MAX);
        match nav {
            Nav::Up => self.move_by(ids, -1),
            Nav::Down => self.move_by(ids, 1),
            Nav::PageUp => self.move_by(ids, -page),
            Nav::PageDown => self.move_by(ids, page),
            Nav::Top => self.first(ids),
            Nav::Bottom => self.last(ids),
        }
    }

    pub fn first(&mut self, ids: &[&str]) {
        if let Some(id) = ids.first() {
            self.select(id, 0);
        }
    }

    pub fn last(&mut self, ids: &[&str]) {
        if let Some(id) = ids.last() {
            self.select(id, ids.len() - 1);
        }
    }

    /// Rows in one page for PgUp/PgDn: the height last rendered (at least 1).
    pub fn page_rows(&self) -> usize {
        self.viewport_rows.get().max(1)
    }

    /// The first visible row so that `selected` is visible in `height` rows, scrolling as
    /// little as possible from the previous frame. Records `height` for paging.
    pub fn visible_offset(&self, selected: Option<usize>, len: usize, height: usize) -> usize {
        self.viewport_rows.set(height);
        let mut offset = self.offset.get().min(len.saturating_sub(height));
        if let Some(selected) = selected {
            if selected < offset {
                offset = selected;
            } else if height > 0 && selected >= offset + height {
                offset = selected + 1 - height;
            }
        }
        self.offset.set(offset);
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_follows_the_id_when_rows_move() {
        let mut selection = Selection::default();
        selection.move_by(&["a", "b", "c"], 1);
        selection.move_by(&["a", "b", "c"], 1);
        assert_eq!(selection.selected_id(), Some("b"));
        // Two new rows arrive on top: still on "b", now at index 3.
        selection.follow(&["y", "z", "a", "b", "c"]);
        assert_eq!(selection.selected_id(), Some("b"));
        assert_eq!(selection.index_in(["y", "z", "a", "b", "c"]), Some(3));
        // "b" disappears: land on the row now at its old position.
        selection.follow(&["y", "z", "a", "c"]);
        assert_eq!(selection.selected_id(), Some("c"));
        selection.follow(&[]);
        assert_eq!(selection.selected_id(), None);
    }

    #[test]
    fn moves_clamp_at_both_ends() {
        let ids = ["a", "b", "c"];
        let mut selection = Selection::default();
        selection.move_by(&ids, -5);
        assert_eq!(selection.selected_id(), Some("a"));
        selection.move_by(&ids, 50);
        assert_eq!(selection.selected_id(), Some("c"));
        selection.first(&ids);
        assert_eq!(selection.selected_id(), Some("a"));
        selection.last(&ids);
        assert_eq!(selection.selected_id(), Some("c"));
    }

    #[test]
    fn offset_scrolls_only_as_much_as_needed() {
        let selection = Selection::default();
        assert_eq!(selection.visible_offset(Some(2), 100, 10), 0);
        assert_eq!(selection.visible_offset(Some(15), 100, 10), 6);
        // Moving up inside the window does not scroll.
        assert_eq!(selection.visible_offset(Some(8), 100, 10), 6);
        assert_eq!(selection.visible_offset(Some(3), 100, 10), 3);
        assert_eq!(selection.page_rows(), 10);
        // A list that shrank never leaves empty space below a scrolled window.
        assert_eq!(selection.visible_offset(None, 4, 10), 0);
    }
}
