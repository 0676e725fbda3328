//! The route table: each API module registers its handlers here with their method and path,
//! once, both for the server and for the FusionAuth endpoint names that API-key permissions
//! name (so a new route can never be missing from them).

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

/// `routes.get(path, handler)` and the like: [`Routes::route`] with that method.
macro_rules! by_method {
    ($($name:ident => $method:ident),*) => {$(
        pub fn $name<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.route(Method::$method, path, handler)
        }
    )*};
}

/// Handlers being registered (or only recorded, to list the endpoints).
pub struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    paths: Vec<(Method, &'static str)>,
}

shared::debug_fields!(Routes<'_> { paths });

impl<'a> Routes<'a> {
    /// Registers on `cfg`.
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Self {
            cfg: Some(cfg),
            paths: Vec::new(),
        }
    }

    /// Only records the paths.
    #[cfg(test)]
    pub fn recording() -> Routes<'static> {
        Routes {
            cfg: None,
            paths: Vec::new(),
        }
    }

    /// `method path` → `handler`.
    pub fn route<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::method(method.clone()).to(handler));
        }
        self.paths.push((method, path));
        self
    }

    by_method!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

    /// The recorded `(method, path)` pairs, in registration order.
    #[cfg(test)]
    pub fn paths(&self) -> &[(Method, &'static str)] {
        &self.paths
    }

    /// FusionAuth's endpoint names for the `/api` routes registered so far.
    pub fn endpoints(&self) -> Endpoints {
        let mut names: Vec<String> = self
            .paths
            .iter()
            .filter_map(|(_, path)| endpoint_name(path))
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        Endpoints(names)
    }
}

/// FusionAuth's endpoint names for the routes served: what API-key permissions list
/// (`{"/api/user": ["GET"]}` covers `GET /api/user/{userId}`). App data, set by
/// [`super::configure`].
#[derive(Debug, Clone, Default)]
pub struct Endpoints(Vec<String>);

impl Endpoints {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// The endpoint name of a route path: the path up to its first `{…}` segment, for `/api`
/// routes (`/api/user/registration/{userId}/{applicationId}` → `/api/user/registration`).
pub fn endpoint_name(path: &str) -> Option<&str> {
    if !path.starts_with("/api/") {
        return None;
    }
    Some(match path.find("/{") {
        Some(end) => &path[..end],
        None => path,
    })
}
