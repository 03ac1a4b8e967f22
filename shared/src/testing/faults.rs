//! Fault injection: real DynamoDB cancels a transaction with reason `TransactionConflict`
//! when another transaction holds one of its items; emulators never do. [`TransactionConflicts`]
//! makes the next N `TransactWriteItems` requests fail exactly that way: the request is
//! renamed to an operation the endpoint rejects (so nothing is written), and the endpoint's
//! answer is replaced by a `TransactionCanceledException` with that reason.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// Fails the next `n` TransactWriteItems requests with `TransactionConflict`. Sequential use
/// only (one faulted request in flight at a time).
#[derive(Debug, Clone, Default)]
pub struct TransactionConflicts {
    left: Arc<AtomicUsize>,
    faulted: Arc<AtomicBool>,
}

const CANCELLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#;

impl TransactionConflicts {
    pub fn next(&self, n: usize) {
        self.left.store(n, Ordering::SeqCst);
    }
}

impl Intercept for TransactionConflicts {
    fn name(&self) -> &'static str {
        "TransactionConflicts"
    }

    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default();
        let take = op == "TransactWriteItems"
            && self.left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if take {
            ctx.request_mut().headers_mut().insert("x-amz-target", "DynamoDB_20120810.InjectedFault");
            self.faulted.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.faulted.swap(false, Ordering::SeqCst) {
            let response = ctx.response_mut();
            *response.status_mut() = 400u16.try_into()?;
            response.headers_mut().remove("x-amzn-errortype");
            *response.body_mut() = SdkBody::from(CANCELLED);
        }
        Ok(())
    }
}
