//! Load: 10 desks x 100 pending rows on one relay. Every desk polls its rows through the
//! relay as fast as it likes; P100 (the sandbox) sees one poller's budget, not ten desks'.

mod relay_support;

use std::time::Duration;

use futures::StreamExt as _;
use p100_desk::relay::{RelaySettings, Role};
use p100_desk::sandbox::Endpoint;

use relay_support::{Team, test_settings};

const DESKS: usize = 10;
const ROWS_PER_DESK: usize = 100;
const BUDGET: u32 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_desks_of_a_hundred_rows_cost_p100_one_budget() {
    let settings = RelaySettings {
        budget_per_second: BUDGET,
        // Longer than the window below: desks' reads of rows the poller has not refreshed
        // yet must wait for the budget too, not go around it.
        details_max_age: Duration::from_secs(60),
        recheck_every: Duration::from_millis(500),
        ..test_settings()
    };
    let Some(team) = Team::start(settings).await else {
        return;
    };
    let sandbox = &team.sandbox;
    sandbox.pause_processing(true);
    let mut desks = Vec::new();
    for index in 0..DESKS {
        desks.push(team.desk(&format!("desk{index}"), Role::Trader).await);
    }
    // 1,000 pending exchanges, each placed by its desk through the relay.
    let placing_started = tokio::time::Instant::now();
    let mut placed: Vec<(usize, Vec<String>)> = futures::stream::iter(desks.iter().enumerate())
        .map(|(index, desk)| async move {
            let mut ids = Vec::new();
            for row in 0..ROWS_PER_DESK {
                let (status, body) = desk.exchange("0.001", &format!("load-{index}-{row}")).await;
                assert_eq!(status, 201, "{body}");
                ids.push(body["exchangeId"].as_str().expect("id").to_owned());
            }
            (index, ids)
        })
        .buffer_unordered(DESKS)
        .collect()
        .await;
    placed.sort_by_key(|(index, _)| *index);
    let placed: Vec<Vec<String>> = placed.into_iter().map(|(_, ids)| ids).collect();
    assert_eq!(sandbox.executions().exchanges, 1_000);

    let placing = placing_started.elapsed();
    sandbox.clear_request_log();
    let window = Duration::from_secs(3);
    let started = tokio::time::Instant::now();
    let asked =
        futures::future::join_all(desks.iter().zip(&placed).map(|(desk, ids)| async move {
            let mut asked = 0_u32;
            while started.elapsed() < window {
                for id in ids.iter().take(20) {
                    let (status, body) = desk.get(&format!("/v1/exchange/details/{id}")).await;
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(body["exchangeId"].as_str(), Some(id.as_str()));
                    asked += 1;
                }
            }
            asked
        }))
        .await;
    let elapsed = started.elapsed();
    eprintln!("placed 1,000 rows in {placing:?}");
    let desk_requests: u32 = asked.iter().sum();
    let upstream = sandbox
        .request_log()
        .iter()
        .filter(|record| record.endpoint == Some(Endpoint::ExchangeDetails))
        .count();
    let allowed = f64::from(BUDGET) * (elapsed.as_secs_f64() + 1.0);
    #[allow(clippy::cast_precision_loss)]
    let upstream_f = upstream as f64;
    eprintln!(
        "desks asked {desk_requests} times in {elapsed:?}; P100 saw {upstream} details requests"
    );
    assert!(
        upstream_f <= allowed,
        "P100 saw {upstream} details requests in {elapsed:?}; the budget allows {allowed}"
    );
    assert!(
        desk_requests as usize > 5 * upstream.max(1),
        "desks asked {desk_requests} times, P100 was asked {upstream} times"
    );
    team.shutdown().await;
}
