//! Where a deployment gets its [`Executor`] for a container: the termproxy console by
//! default, a scripted fake in tests.

use std::sync::Arc;

use super::exec::{BoxFuture, ExecError, Executor};
use crate::pve::PveClient;

/// Opens a command session in container `vmid` on `node`.
pub trait ExecutorFactory: Send + Sync {
    fn open<'a>(
        &'a self,
        client: &'a PveClient,
        node: &'a str,
        vmid: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Executor>, ExecError>>;
}

pub type SharedExecutors = Arc<dyn ExecutorFactory>;

/// The default: a shell on the container's termproxy console.
pub struct ConsoleExecutors;

impl ExecutorFactory for ConsoleExecutors {
    fn open<'a>(
        &'a self,
        client: &'a PveClient,
        node: &'a str,
        vmid: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Executor>, ExecError>> {
        Box::pin(async move {
            let exec = super::console_exec::ConsoleExecutor::open(
                client,
                node,
                vmid,
                super::console_exec::ConsoleExecOptions::default(),
            )
            .await?;
            Ok(Box::new(exec) as Box<dyn Executor>)
        })
    }
}
