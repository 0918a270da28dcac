"""Field-level authorization from ``@authenticated`` and ``@requiresScopes``, as Apollo Router.

A pure document transform, run before planning::

    policy = AuthorizationPolicy.from_supergraph(supergraph_document, api_schema)  # once
    shape = policy.shape(principal)                    # part of the plan-cache key
    result = authorize_operation(policy, document, shape, operation_name)
    ...plan and execute result.document...
    apply_unauthorized(result, response)               # nulls + UNAUTHORIZED_FIELD_OR_TYPE
"""

from gateway.authorization.directives import AuthDirectiveError, read_requirements
from gateway.authorization.policy import AuthorizationPolicy
from gateway.authorization.requirements import AuthShape, Requirement
from gateway.authorization.response import apply_unauthorized
from gateway.authorization.transform import (
    AuthorizationResult,
    OperationNotFound,
    RemovedField,
    authorize_operation,
)

__all__ = [
    "AuthDirectiveError",
    "AuthShape",
    "AuthorizationPolicy",
    "AuthorizationResult",
    "OperationNotFound",
    "RemovedField",
    "Requirement",
    "apply_unauthorized",
    "authorize_operation",
    "read_requirements",
]
