//! The repository contract, as tests any backend must pass.
//! Call [`run_all`] with a factory of empty stores.

#![cfg(test)]

use crate::store::Store;

pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Store>) {
    let _ = make();
}
