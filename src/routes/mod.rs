//! Every route of the service, composed here; each resource's handlers live in its own module.

pub mod ops;

use utoipa_actix_web::service_config::ServiceConfig;

/// The route map. Handlers registered here with `.service()` are also collected into the OpenAPI
/// document, so an undocumented route cannot be added by accident.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json);
}
