"""The API explorer at /api/docs: Swagger UI, as FastAPI would serve it, but started from a
static script so that the page, like every other, runs no inline script."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.headers import DOCS_CDN, docs_policy
from fairlabel.web.pages import render

router = APIRouter(include_in_schema=False)

#: Pinned, with the files' hashes (subresource integrity), so that the CDN cannot change
#: what runs on the page.
SWAGGER_UI = f"{DOCS_CDN}/npm/swagger-ui-dist@5.35.0"
SWAGGER_UI_INTEGRITY = {
    "script": "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9",
    "styles": "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
}


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    context = {
        "swagger_ui": SWAGGER_UI,
        "integrity": SWAGGER_UI_INTEGRITY,
        "openapi_url": request.app.openapi_url,
    }
    response = render(request, "api_docs.html", context)
    response.headers["Content-Security-Policy"] = docs_policy()
    return response
