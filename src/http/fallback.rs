//! The answer for requests that match no route: 405 with `Allow` when the path exists with other
//! methods, 404 otherwise. The table of paths and methods comes from the OpenAPI document, so the
//! two cannot disagree.

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ResourceDef, ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};

use crate::error::ApiError;

/// Every documented path with the methods it answers.
pub struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<Method> = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                methods.sort_by_key(|m| m.to_string());
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// Adds a route that is not an API operation (the docs pages).
    pub fn with(mut self, path: &str, methods: &[Method]) -> Self {
        self.0.push((ResourceDef::new(path), methods.to_vec()));
        self
    }

    /// The methods allowed on `path`, when some route matches it.
    pub fn allowed_methods(&self, path: &str) -> Option<&[Method]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// 405 for a method that a literal path does not take, before a route with a parameter in the
/// same place can claim the request (`PATCH /v1/suppliers/export` is not an edit of a supplier
/// whose id is `export`).
pub async fn literal_paths(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let refused = req.app_data::<web::Data<RouteTable>>().and_then(|routes| {
        routes
            .0
            .iter()
            .find(|(def, _)| !def.is_prefix() && def.pattern().is_some_and(|p| p == req.path()))
            .filter(|(_, methods)| !methods.contains(req.method()))
            .map(|(_, methods)| methods.clone())
    });
    match refused {
        Some(allow) if req.method() != Method::OPTIONS => {
            let error = ApiError::MethodNotAllowed { allow };
            Ok(req.error_response(error).map_into_right_body())
        }
        _ => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// The app's default service. The table is its own app data (see `startup`).
pub async fn no_route(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed_methods(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed {
            allow: allow.to_vec(),
        },
        None => ApiError::NotFound("No resource at this address.".into()),
    })
}
