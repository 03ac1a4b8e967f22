//! Request bodies, read as API Gateway passes them to a Lambda but never buffered whole: at
//! most `MAX_BODY_BYTES + 1` bytes are kept, so the handler sees that a body is too large
//! (and answers 413) while an unbounded one never fills memory.
use http_body_util::BodyExt;
use lambda_http::Body;
use shared::http::ApiError;
use shared::validation::MAX_BODY_BYTES;

/// An oversized body is read on and dropped up to this many bytes, so that a client still
/// sending it gets the 413 rather than a connection reset (closing a socket with unread data
/// resets it). Past this the connection is simply closed.
pub const DRAIN_BYTES: usize = 1024 * 1024;

/// Keeps at most `MAX_BODY_BYTES + 1` bytes: enough for the handler to see that a body is too
/// large (and answer 413) without ever buffering an unbounded one.
pub async fn read_limited(mut body: axum::body::Body) -> Result<Body, ApiError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while seen <= DRAIN_BYTES {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    seen = seen.saturating_add(data.len());
                    let room = (MAX_BODY_BYTES + 1).saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "could not read the request body");
                return Err(ApiError::Malformed("the request body could not be read".into()));
            }
        }
    }
    // API Gateway passes a JSON or text body as text and anything else base64-encoded;
    // lambda_http turns those into Text and Binary.
    Ok(match String::from_utf8(buf) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_read_to_one_byte_past_the_limit() {
        let exact = read_limited(axum::body::Body::from(vec![b'a'; MAX_BODY_BYTES])).await.unwrap();
        assert_eq!(exact.as_ref().len(), MAX_BODY_BYTES);
        let over = read_limited(axum::body::Body::from(vec![b'a'; 10 * MAX_BODY_BYTES])).await.unwrap();
        assert_eq!(over.as_ref().len(), MAX_BODY_BYTES + 1);
        let past_the_drain = read_limited(axum::body::Body::from(vec![b'a'; 2 * DRAIN_BYTES])).await.unwrap();
        assert_eq!(past_the_drain.as_ref().len(), MAX_BODY_BYTES + 1);
        assert_eq!(read_limited(axum::body::Body::empty()).await.unwrap(), Body::Empty);
        assert!(matches!(read_limited(axum::body::Body::from(vec![0xff, 0xfe])).await.unwrap(), Body::Binary(_)));
    }
}
