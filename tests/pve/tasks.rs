//! Task helpers against a mock whose task log grows while the test runs.

use crate::support_pve;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use proximity::pve::{Auth, EndpointConfig, PveClient, PveError, TaskFilter, Upid};
use serde_json::json;
use support_pve::{MockResponse, MockServer};

const UPID: &str = "UPID:pve:0003A1F2:0108C3B4:6745A1B2:vzcreate:105:root@pam!ci:";

#[derive(Default)]
struct FakeTask {
    lines: Vec<String>,
    exitstatus: Option<String>,
}

fn client(url: &str) -> PveClient {
    PveClient::new(EndpointConfig::new(
        url,
        Auth::Token {
            token_id: "root@pam!ci".into(),
            secret: "s".into(),
        },
    ))
    .unwrap()
}

/// Serves status/log for one task the way pve-manager's Tasks.pm does (1-based `n`,
/// `total`, the `no content` placeholder for an empty log).
async fn task_server(task: Arc<Mutex<FakeTask>>) -> MockServer {
    MockServer::start(move |req| {
        let t = task.lock().unwrap();
        let status_path = format!("/nodes/pve/tasks/{UPID}/status");
        let log_path = format!("/nodes/pve/tasks/{UPID}/log");
        if req.path == status_path {
            let mut v = json!({"upid": UPID, "node": "pve", "type": "vzcreate", "id": "105",
                "user": "root@pam", "tokenid": "ci", "pid": 238066, "pstart": 17351604, "starttime": 1732616626,
                "status": if t.exitstatus.is_some() { "stopped" } else { "running" }});
            if let Some(e) = &t.exitstatus {
                v["exitstatus"] = json!(e);
            }
            MockResponse::data(v)
        } else if req.path == log_path {
            let start: usize = req.param("start").unwrap().parse().unwrap();
            let limit: usize = req.param("limit").unwrap().parse().unwrap();
            if t.lines.is_empty() {
                return MockResponse::data_total(json!([{"n":1,"t":"no content"}]), 1);
            }
            let page: Vec<_> = t
                .lines
                .iter()
                .enumerate()
                .skip(start)
                .take(limit)
                .map(|(i, l)| json!({"n": i + 1, "t": l}))
                .collect();
            MockResponse::data_total(json!(page), t.lines.len() as u64)
        } else if req.path == "/nodes/pve/tasks" {
            assert_eq!(req.param("typefilter"), Some("vzcreate"));
            assert_eq!(req.param("errors"), Some("1"));
            MockResponse::data_total(
                json!([{"upid": UPID, "node": "pve", "type": "vzcreate", "id": "105", "user": "root@pam",
                        "starttime": 1732616626, "endtime": 1732616630, "status": "unable to create CT 105"}]),
                7,
            )
        } else {
            MockResponse::empty(501, "not implemented")
        }
    })
    .await
}

#[tokio::test]
async fn follow_yields_lines_as_they_are_written_until_the_task_stops() {
    let task = Arc::new(Mutex::new(FakeTask::default()));
    let server = task_server(task.clone()).await;
    let client = client(&server.url);
    let upid: Upid = UPID.parse().unwrap();
    let mut stream = Box::pin(client.follow_task_log(&upid, Duration::from_millis(10)));

    let writer = task.clone();
    let producer = tokio::spawn(async move {
        for i in 1..=3 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            writer.lock().unwrap().lines.push(format!("step {i}"));
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let mut t = writer.lock().unwrap();
        t.lines.push("TASK OK".into());
        t.exitstatus = Some("OK".into());
    });

    let first = stream.next().await.unwrap().unwrap();
    assert_eq!((first.n, first.t.as_str()), (1, "step 1"));
    // The first line arrived while the task was still running, not at the end.
    assert!(task.lock().unwrap().exitstatus.is_none());
    let mut rest = Vec::new();
    while let Some(line) = stream.next().await {
        rest.push(line.unwrap().t);
    }
    assert_eq!(rest, vec!["step 2", "step 3", "TASK OK"]);
    producer.await.unwrap();
}

#[tokio::test]
async fn follow_pages_through_long_logs_of_finished_tasks() {
    let task = Arc::new(Mutex::new(FakeTask {
        lines: (1..=1203).map(|i| format!("line {i}")).collect(),
        exitstatus: Some("OK".into()),
    }));
    let server = task_server(task).await;
    let client = client(&server.url);
    let upid: Upid = UPID.parse().unwrap();
    let lines: Vec<_> = client
        .follow_task_log(&upid, Duration::from_millis(5))
        .collect()
        .await;
    assert_eq!(lines.len(), 1203);
    let ns: Vec<u64> = lines.iter().map(|l| l.as_ref().unwrap().n).collect();
    assert_eq!(ns, (1..=1203).collect::<Vec<u64>>());
}

#[tokio::test]
async fn wait_task_reports_failure_with_upid_and_exitstatus() {
    let task = Arc::new(Mutex::new(FakeTask::default()));
    let server = task_server(task.clone()).await;
    let client = client(&server.url);
    let upid: Upid = UPID.parse().unwrap();
    let t2 = task.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        t2.lock().unwrap().exitstatus = Some("unable to create CT 105 - no space left\n".into());
    });
    let err = client
        .wait_task(&upid, Duration::from_millis(10))
        .await
        .unwrap_err();
    match &err {
        PveError::TaskFailed { upid, exitstatus } => {
            assert_eq!(upid, UPID);
            assert_eq!(exitstatus, "unable to create CT 105 - no space left");
        }
        other => panic!("{other:?}"),
    }

    task.lock().unwrap().exitstatus = Some("WARNINGS: 2".into());
    let status = client
        .wait_task(&upid, Duration::from_millis(10))
        .await
        .unwrap();
    assert!(status.succeeded());
    assert_eq!(status.tokenid.as_deref(), Some("ci"));
}

#[tokio::test]
async fn empty_log_placeholder_is_not_a_line_and_task_list_has_total() {
    let task = Arc::new(Mutex::new(FakeTask {
        lines: vec![],
        exitstatus: Some("OK".into()),
    }));
    let server = task_server(task).await;
    let client = client(&server.url);
    let upid: Upid = UPID.parse().unwrap();
    let lines: Vec<_> = client
        .follow_task_log(&upid, Duration::from_millis(5))
        .collect()
        .await;
    assert!(lines.is_empty(), "{lines:?}");
    let page = client.task_log(&upid, 0, 50).await.unwrap();
    assert_eq!(page.total, 1);

    let filter = TaskFilter {
        typefilter: Some("vzcreate".into()),
        errors: Some(true),
        ..TaskFilter::default()
    };
    let (entries, total) = client.task_list("pve", &filter).await.unwrap();
    assert_eq!(total, 7);
    assert_eq!(entries[0].endtime, Some(1732616630));
    assert_eq!(entries[0].upid.parse::<Upid>().unwrap().vmid(), Some(105));
}
