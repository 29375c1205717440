//! Where a server keeps its application state ([`ServerBuilder::state`]): one value per
//! type. Handlers reach it through [`Context::state`] or a [`State`] parameter.
//!
//! [`ServerBuilder::state`]: crate::ServerBuilder::state
//! [`Context::state`]: crate::Context::state
//! [`State`]: crate::State

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

/// The states of one server, one per type.
#[derive(Default, Clone)]
pub(crate) struct StateMap {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl StateMap {
    /// Adds `value`, replacing a value of the same type.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, as the shared `Arc` the server holds.
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let value = self.values.get(&TypeId::of::<T>())?.clone();
        value.downcast::<T>().ok()
    }

    /// The value of type `T`, borrowed.
    pub(crate) fn get_ref<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.values.get(&TypeId::of::<T>())?.downcast_ref::<T>()
    }
}
