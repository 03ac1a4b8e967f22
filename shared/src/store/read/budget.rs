//! A list page's read budget: what a first or cursor page may read by Query before it ends
//! short (`read/merge.rs` decides where such a page ends).

/// What a page may still read when the merge starts.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Budget {
    /// Items the list already read by Query for this page (the unflipped read).
    pub(super) spent: usize,
    /// At most this many Queries for the page's streams; `None`: at most [`MAX_ROUNDS`]
    /// rounds once a filter has dropped items, and no limit before.
    pub(super) queries: Option<usize>,
}

/// Items a first or cursor page may read by Query: twice what a full page needs plus one
/// per stream, less what the list already read, plus the items the filters are known to
/// drop. A page asked for by number has none (`b` is `None`): it must hold exactly positions
/// `offset..offset + limit` (that is what `page` means), and reads its offset anyway.
pub(super) fn items_allowed(need: usize, streams: usize, dropped: usize, b: Option<Budget>) -> Option<(usize, usize)> {
    b.map(|b| {
        let core = need.saturating_mul(2).saturating_add(streams).saturating_sub(b.spent);
        (core, core.saturating_add(dropped))
    })
}

/// Query rounds a budgeted page makes at most once a filter drops items (each one Query per
/// stream that ran dry), so its requests stay within twice an unfiltered page's.
pub(super) const MAX_ROUNDS: usize = 2;
