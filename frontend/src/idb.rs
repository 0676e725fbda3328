//! A small async key–value store over IndexedDB: one database, one object store, string keys.
//!
//! Every failure (no IndexedDB, private mode, blocked upgrade, quota) comes back as an `Err`;
//! callers treat it like an empty store.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::Promise;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

/// The database name.
pub const DATABASE: &str = "store";
/// The object store inside it.
pub const OBJECT_STORE: &str = "kv";
const VERSION: u32 = 1;

thread_local! {
    /// The open connection, so writes start in the order they were asked for.
    static CONNECTION: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

/// Waits for a request to succeed and returns its result.
async fn settled(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request.result()
}

/// Waits for a transaction to commit.
async fn committed(transaction: &IdbTransaction) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    JsFuture::from(promise).await.map(drop)
}

/// The open database, opening (and creating) it the first time.
async fn database() -> Result<IdbDatabase, JsValue> {
    if let Some(db) = CONNECTION.with(|c| c.borrow().clone()) {
        return Ok(db);
    }
    let mut db = open(VERSION).await?;
    if !db.object_store_names().contains(OBJECT_STORE) {
        // Someone created the database without our store: upgrade it to add the store.
        let next = (db.version() as u32).saturating_add(1);
        db.close();
        db = open(next).await?;
    }
    // A newer version of the app (in another tab) wants to upgrade: let it, reopen next time.
    let on_version_change = Closure::<dyn FnMut()>::new({
        let db = db.clone();
        move || {
            db.close();
            CONNECTION.with(|c| *c.borrow_mut() = None);
        }
    });
    db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
    // Lives as long as the connection.
    on_version_change.forget();
    CONNECTION.with(|c| *c.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// Opens the database at `version`, creating the object store when upgrading.
async fn open(version: u32) -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or(JsValue::NULL)?
        .indexed_db()?
        .ok_or(JsValue::NULL)?;
    let open: IdbOpenDbRequest = factory.open_with_u32(DATABASE, version)?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let db = event
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db
            && !db.object_store_names().contains(OBJECT_STORE)
        {
            let _ = db.create_object_store(OBJECT_STORE);
        }
    });
    open.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = settled(&open).await?.dyn_into()?;
    drop(upgrade);
    Ok(db)
}

fn transaction(db: &IdbDatabase, write: bool) -> Result<IdbTransaction, JsValue> {
    if write {
        db.transaction_with_str_and_mode(OBJECT_STORE, IdbTransactionMode::Readwrite)
    } else {
        db.transaction_with_str(OBJECT_STORE)
    }
}

/// The value stored under `key` (`undefined` when there is none).
///
/// # Errors
/// IndexedDB is unavailable or the read failed.
pub async fn get(key: &str) -> Result<JsValue, JsValue> {
    let db = database().await?;
    let request = transaction(&db, false)?
        .object_store(OBJECT_STORE)?
        .get(&JsValue::from_str(key))?;
    settled(&request).await
}

/// Stores `value` under `key` and waits until it is committed.
///
/// # Errors
/// IndexedDB is unavailable or the write failed.
pub async fn put(key: &str, value: &JsValue) -> Result<(), JsValue> {
    let db = database().await?;
    let tx = transaction(&db, true)?;
    tx.object_store(OBJECT_STORE)?
        .put_with_key(value, &JsValue::from_str(key))?;
    committed(&tx).await
}

/// Removes `key` and waits until that is committed.
///
/// # Errors
/// IndexedDB is unavailable or the write failed.
pub async fn delete(key: &str) -> Result<(), JsValue> {
    let db = database().await?;
    let tx = transaction(&db, true)?;
    tx.object_store(OBJECT_STORE)?
        .delete(&JsValue::from_str(key))?;
    committed(&tx).await
}
