use super::*;
use crate::api::models::{Currency, TransactionStatus, TransactionType};
use rust_decimal::Decimal;

pub(crate) fn tx(id: &str, kind: TransactionType, currency: &str) -> Transaction {
    Transaction {
        id: id.into(),
        kind,
        status: TransactionStatus::Successful,
        amount: Decimal::ONE,
        currency: Currency::new(currency),
        created_at: None,
        description: None,
        currency_to: None,
        amount_to: None,
    }
}

fn page(ids: std::ops::Range<u32>) -> TransactionPage {
    TransactionPage {
        transactions: ids
            .rev()
            .map(|n| tx(&format!("t{n}"), TransactionType::Exchange, "eur"))
            .collect(),
        page: None,
        limit: None,
        total: None,
        unreadable: Vec::new(),
    }
}

fn ids(pane: &HistoryPane) -> Vec<String> {
    (0..pane.visible_len())
        .filter_map(|n| pane.visible_row(n).map(|row| row.id().to_string()))
        .collect()
}

fn selected_id(pane: &HistoryPane) -> Option<String> {
    pane.selected().map(|row| row.id().to_string())
}

#[test]
fn pages_merge_by_id_without_duplicates() {
    let mut pane = HistoryPane::default();
    pane.merge(1, page(100..150), Utc::now());
    assert!(!pane.exhausted);
    // Two new rows arrived meanwhile, so page 2 starts with two rows we already have.
    pane.merge(2, page(52..102), Utc::now());
    assert_eq!(pane.len(), 98);
    // A refresh of page 1 brings the two new rows on top.
    pane.merge(1, page(102..152), Utc::now());
    assert_eq!(pane.row(0).map(|r| r.id()), Some("t151"));
    assert_eq!(pane.len(), 100);
    let shown = ids(&pane);
    let expected: Vec<String> = (52..152).rev().map(|n| format!("t{n}")).collect();
    assert_eq!(shown, expected, "newest first, no gap, no duplicate");
    assert_eq!(pane.find("t60").map(|r| r.id()), Some("t60"));
}

#[test]
fn an_id_sent_twice_is_two_rows_and_merging_again_adds_none() {
    let mut pane = HistoryPane::default();
    let mut data = page(0..0);
    data.transactions = vec![
        tx("dup", TransactionType::Exchange, "eur"),
        tx("other", TransactionType::Order, "usdc"),
        tx("dup", TransactionType::SepaDeposit, "eur"),
    ];
    pane.merge(1, data.clone(), Utc::now());
    assert_eq!(ids(&pane), ["dup", "other", "dup"]);
    pane.merge(1, data, Utc::now());
    assert_eq!(pane.len(), 3, "a refresh of the same page adds nothing");
    assert_eq!(
        pane.row(2).map(|r| r.kind().clone()),
        Some(TransactionType::SepaDeposit)
    );
}

#[test]
fn short_page_means_nothing_older() {
    let mut pane = HistoryPane::default();
    pane.merge(1, page(0..10), Utc::now());
    assert!(pane.exhausted);
    assert_eq!(pane.navigate(Nav::Bottom), None);
}

#[test]
fn scrolling_near_the_end_asks_for_the_next_page_once() {
    let mut pane = HistoryPane::default();
    pane.merge(1, page(0..50), Utc::now());
    assert_eq!(pane.navigate(Nav::Down), None);
    assert_eq!(pane.navigate(Nav::Bottom), Some(2));
    assert_eq!(pane.navigate(Nav::Up), None, "page 2 is already loading");
    pane.failed(Utc::now(), "offline".into());
    assert_eq!(
        pane.navigate(Nav::Down),
        Some(2),
        "asks again after a failure"
    );
}

/// Pages of 50 from a server of `total` rows, newest (highest number) first.
fn server_page(total: u32, page: u32) -> TransactionPage {
    let top = total - (page - 1) * PAGE_LIMIT;
    let mut data = self::page(top.saturating_sub(PAGE_LIMIT)..top);
    data.total = Some(u64::from(total));
    data
}

#[test]
fn the_far_end_is_dropped_at_the_cap_and_fetched_again_when_scrolled_back() {
    let total = 2_000;
    let mut pane = HistoryPane::with_max_rows(300);
    pane.selection.visible_offset(None, 0, 50);
    pane.merge(1, server_page(total, 1), Utc::now());
    // Page down to the bottom of the account, loading page by page (`G` would jump there).
    let mut requests = 1;
    for _ in 0..1_000 {
        if pane.exhausted && selected_id(&pane).as_deref() == Some("t0") {
            break;
        }
        if let Some(page) = pane.navigate(Nav::PageDown) {
            pane.merge(page, server_page(total, page), Utc::now());
            requests += 1;
        }
        assert!(pane.len() <= 300, "{} rows held", pane.len());
    }
    assert!(requests < 100);
    assert!(pane.exhausted);
    assert_eq!(pane.row(pane.len() - 1).map(|r| r.id()), Some("t0"));
    assert!(pane.first_page > 1, "the top was dropped");
    assert_eq!(selected_id(&pane).as_deref(), Some("t0"));
    // Back to the top: the dropped pages come back above, the bottom goes.
    for _ in 0..1_000 {
        if pane.first_page == 1 && selected_id(&pane).as_deref() == Some("t1999") {
            break;
        }
        if let Some(page) = pane.navigate(Nav::PageUp) {
            pane.merge(page, server_page(total, page), Utc::now());
            requests += 1;
        }
        assert!(pane.len() <= 300);
    }
    assert!(requests < 200);
    assert_eq!(pane.first_page, 1);
    assert_eq!(pane.row(0).map(|r| r.id()), Some("t1999"));
    assert!(
        !pane.exhausted,
        "the bottom was dropped: more to load again"
    );
    let shown = ids(&pane);
    let expected: Vec<String> = (0..u32::try_from(shown.len()).expect("small"))
        .map(|n| format!("t{}", 1999 - n))
        .collect();
    assert_eq!(shown, expected, "contiguous after the round trip");
    assert_eq!(selected_id(&pane).as_deref(), Some("t1999"));
}

#[test]
fn the_filter_keeps_working_across_the_cap() {
    let total = 1_000;
    let mut pane = HistoryPane::with_max_rows(200);
    pane.merge(1, server_page(total, 1), Utc::now());
    pane.set_filter("t9".into());
    pane.finish_search();
    let mut requests = 0;
    while let Some(page) = pane.navigate(Nav::Bottom) {
        pane.merge(page, server_page(total, page), Utc::now());
        requests += 1;
        assert!(
            requests < 100,
            "page {page} first {} last {} len {} exhausted {}",
            pane.first_page,
            pane.pages_loaded,
            pane.len(),
            pane.exhausted
        );
    }
    let shown = ids(&pane);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|id| id.contains("t9")), "{shown:?}");
    // Every held row that matches is shown, in order.
    let held: Vec<String> = (0..pane.len())
        .filter_map(|n| pane.row(n).map(|r| r.id().to_string()))
        .filter(|id| id.contains("t9"))
        .collect();
    assert_eq!(shown, held);
    assert_eq!(selected_id(&pane), shown.last().cloned());
}

#[test]
fn filter_matches_type_status_currency_and_id_and_keeps_selection() {
    let mut pane = HistoryPane::default();
    let mut data = page(0..0);
    data.transactions = vec![
        tx("a1", TransactionType::Exchange, "eth"),
        tx("b2", TransactionType::SepaDeposit, "eur"),
        tx("c3", TransactionType::Order, "usdc"),
    ];
    pane.merge(1, data, Utc::now());
    pane.navigate(Nav::Bottom);
    assert_eq!(selected_id(&pane).as_deref(), Some("c3"));
    pane.set_filter("USDC".into());
    assert_eq!(pane.visible_len(), 1);
    assert_eq!(selected_id(&pane).as_deref(), Some("c3"));
    pane.set_filter("sepa".into());
    assert_eq!(pane.visible_row(0).map(|t| t.id()), Some("b2"));
    pane.set_filter("successful".into());
    assert_eq!(pane.visible_len(), 3);
    pane.set_filter("zzz".into());
    assert_eq!(pane.visible_len(), 0);
    assert!(pane.selected().is_none());
    pane.set_filter(String::new());
    assert_eq!(pane.visible_len(), 3);
}

#[test]
fn a_long_search_runs_in_slices_and_a_longer_query_narrows_it() {
    let mut pane = HistoryPane::default();
    let rows = u32::try_from(FIRST_STEP_ROWS * 3).expect("small");
    let mut data = page(0..rows);
    data.transactions[7].description = Some("Payroll MARCH".into());
    pane.merge(1, data, Utc::now());
    pane.set_filter("t1".into());
    assert!(pane.searching(), "one key does not scan everything");
    let partial = pane.visible_len();
    pane.continue_search();
    assert!(!pane.searching());
    assert!(pane.visible_len() > partial);
    let all_t1 = pane.visible_len();
    assert!(ids(&pane).iter().all(|id| id.contains("t1")));
    pane.set_filter("t12".into());
    pane.finish_search();
    assert!(pane.visible_len() < all_t1);
    assert!(ids(&pane).iter().all(|id| id.contains("t12")));
    pane.set_filter("march".into());
    pane.finish_search();
    assert_eq!(pane.visible_len(), 1, "descriptions match, ignoring case");
}

#[test]
fn new_rows_on_top_are_filtered_as_they_arrive() {
    let mut pane = HistoryPane::default();
    pane.merge(1, page(0..50), Utc::now());
    pane.set_filter("t5".into());
    pane.finish_search();
    let before = pane.visible_len();
    pane.merge(1, page(10..60), Utc::now());
    assert_eq!(pane.visible_len(), before + 10, "t50..t59 match");
    assert_eq!(pane.visible_row(0).map(|r| r.id()), Some("t59"));
}

/// Answers every page `pane` wants from a server of `total` rows; returns the pages asked for.
fn answer_wanted(pane: &mut HistoryPane, total: u32, first: Option<u32>) -> Vec<u32> {
    let mut asked = Vec::new();
    let mut next = first.or_else(|| pane.wanted_page().map(|(page, _)| page));
    while let Some(page) = next {
        asked.push(page);
        assert!(asked.len() < 100, "asked for {asked:?}");
        pane.merge(page, server_page(total, page), Utc::now());
        next = pane.wanted_page().map(|(page, _)| page);
    }
    asked
}

#[test]
fn a_pane_taller_than_the_rows_held_wants_the_next_page_until_filled() {
    let mut pane = HistoryPane::default();
    assert_eq!(pane.wanted_page(), None, "nothing before the first page");
    pane.selection.visible_offset(None, 0, 120);
    pane.merge(1, server_page(1_000, 1), Utc::now());
    // Nobody asked for it: a prefetch, the last in the budget's queue.
    assert_eq!(pane.wanted_page(), Some((2, PageWhy::Prefetch)));
    assert_eq!(pane.wanted_page(), None, "page 2 is in flight");
    pane.merge(2, server_page(1_000, 2), Utc::now());
    assert_eq!(answer_wanted(&mut pane, 1_000, None), vec![3]);
    assert_eq!(pane.len(), 150, "120 rows on screen: three pages");
    assert_eq!(pane.wanted_page(), None, "filled");
}

#[test]
fn filling_stops_at_the_end_and_on_an_error_until_the_pane_recovers() {
    let mut pane = HistoryPane::default();
    pane.selection.visible_offset(None, 0, 60);
    pane.merge(1, page(20..70), Utc::now());
    assert_eq!(pane.wanted_page(), Some((2, PageWhy::Prefetch)));
    pane.failed(Utc::now(), "offline".into());
    // A failed page is not asked for again by the fill: the backed-off retry goes first.
    for _ in 0..5 {
        assert_eq!(pane.wanted_page(), None);
    }
    pane.merge(1, page(20..70), Utc::now());
    assert_eq!(
        pane.wanted_page(),
        Some((2, PageWhy::Prefetch)),
        "recovered: filling resumes"
    );
    pane.merge(2, page(0..20), Utc::now());
    assert!(pane.at_end_of_history());
    assert_eq!(pane.wanted_page(), None, "the end of the history");
}

#[test]
fn g_with_a_total_jumps_to_the_last_page_and_loads_the_gap_going_back() {
    let total = 5_000;
    let mut pane = HistoryPane::default();
    pane.selection.visible_offset(None, 0, 30);
    pane.merge(1, server_page(total, 1), Utc::now());
    // `G`: the last page directly, not 99 pages in between.
    assert_eq!(pane.navigate(Nav::Bottom), Some(100));
    let progress = pane.seek_progress().expect("seeking");
    assert_eq!((progress.seek, progress.page), (Seek::End, Some(100)));
    assert_eq!(
        pane.len(),
        50,
        "the rows held stay until the last page arrives"
    );
    assert_eq!(answer_wanted(&mut pane, total, Some(100)), vec![100]);
    assert_eq!(pane.first_page, 100);
    assert!(pane.at_end_of_history());
    assert_eq!(selected_id(&pane).as_deref(), Some("t0"));
    assert!(pane.seek_progress().is_none(), "the seek is done");
    // Scrolling back up loads the gap, page by page, above the held rows.
    let mut asked = Vec::new();
    for _ in 0..120 {
        if let Some(page) = pane.navigate(Nav::Up) {
            asked.push(page);
            pane.merge(page, server_page(total, page), Utc::now());
        }
    }
    assert_eq!(asked, vec![99, 98]);
    let shown = ids(&pane);
    let expected: Vec<String> = (0..150).rev().map(|n| format!("t{n}")).collect();
    assert_eq!(shown, expected, "contiguous across the gap loaded");
    // `g`: page 1 again directly.
    assert_eq!(pane.navigate(Nav::Top), Some(1));
    assert_eq!(answer_wanted(&mut pane, total, Some(1)), vec![1]);
    assert_eq!(pane.first_page, 1);
    assert_eq!(selected_id(&pane).as_deref(), Some("t4999"));
}

#[test]
fn g_without_a_total_loads_until_the_end_and_marks_it() {
    let mut pane = HistoryPane::default();
    pane.selection.visible_offset(None, 0, 30);
    let untold = |page: u32| {
        let mut data = server_page(420, page);
        data.total = None;
        data
    };
    pane.merge(1, untold(1), Utc::now());
    assert!(!pane.at_end_of_history());
    let mut next = pane.navigate(Nav::Bottom);
    let mut asked = Vec::new();
    while let Some(page) = next {
        let progress = pane.seek_progress().expect("seeking");
        assert_eq!(progress.page, Some(page));
        assert_eq!(progress.total, None);
        asked.push(page);
        pane.merge(page, untold(page), Utc::now());
        next = pane.wanted_page().map(|(page, why)| {
            assert_eq!(why, PageWhy::Asked, "`G` asked for page {page}");
            page
        });
    }
    assert_eq!(asked, (2..=9).collect::<Vec<_>>());
    assert!(pane.at_end_of_history());
    assert_eq!(pane.len(), 420);
    assert_eq!(selected_id(&pane).as_deref(), Some("t0"));
}

#[test]
fn another_move_stops_a_seek() {
    let mut pane = HistoryPane::default();
    pane.merge(1, page(50..100), Utc::now());
    assert_eq!(pane.navigate(Nav::Bottom), Some(2));
    assert_eq!(pane.navigate(Nav::Up), None);
    pane.merge(2, page(0..50), Utc::now());
    assert!(pane.seek_progress().is_none());
    assert_eq!(
        pane.wanted_page(),
        None,
        "the user moved away: no more pages"
    );
    assert_ne!(selected_id(&pane).as_deref(), Some("t0"));
}
