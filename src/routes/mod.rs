//! Every route of the service, composed here; each resource's handlers live in its own module.

pub mod auth;
pub mod clients;
pub mod ops;
pub mod users;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// The route map. Handlers registered here with `.service()` are also collected into the OpenAPI
/// document, so an undocumented route cannot be added by accident.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(auth::get_jwks)
        .service(scope::scope("/v1").configure(v1));
}

fn v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::issue_token)
        .service(auth::revoke_token)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::update_user)
        .service(clients::create_client)
        .service(clients::list_clients)
        .service(clients::get_client)
        .service(clients::update_client);
}
