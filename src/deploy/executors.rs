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
        _client: &'a PveClient,
        _node: &'a str,
        _vmid: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Executor>, ExecError>> {
        // Replaced by the console executor when the exec branch lands.
        Box::pin(async { Err(ExecError::Connect("the console executor is not built yet".into())) })
    }
}
