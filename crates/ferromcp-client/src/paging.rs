//! Following `nextCursor` through every page of a list.

use std::collections::HashSet;
use std::future::Future;

use ferromcp_protocol::types::{
    Cursor, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    Prompt, Resource, ResourceTemplate, Tool,
};
use serde::de::DeserializeOwned;

use crate::ClientError;

/// One page of a paginated list result.
pub(crate) trait Page: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<Cursor>);
}

macro_rules! page {
    ($result:ty, $item:ty, $field:ident) => {
        impl Page for $result {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, Option<Cursor>) {
                (self.$field, self.next_cursor)
            }
        }
    };
}

page!(ListToolsResult, Tool, tools);
page!(ListResourcesResult, Resource, resources);
page!(
    ListResourceTemplatesResult,
    ResourceTemplate,
    resource_templates
);
page!(ListPromptsResult, Prompt, prompts);

/// Fetches pages with `fetch` until one has no `nextCursor`, and returns all items.
///
/// A server that hands out a cursor it gave before would loop forever; that is reported
/// as a malformed result instead.
pub(crate) async fn collect_all<P, F, Fut>(mut fetch: F) -> Result<Vec<P::Item>, ClientError>
where
    P: Page,
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<P, ClientError>>,
{
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor = None;
    loop {
        let (mut page, next) = fetch(cursor).await?.into_parts();
        items.append(&mut page);
        match next {
            None => return Ok(items),
            Some(next) if !seen.insert(next.clone()) => {
                return Err(ClientError::InvalidResult(format!(
                    "the server repeated the pagination cursor {next:?}"
                )))
            }
            Some(next) => cursor = Some(next),
        }
    }
}
