"""Media files: metadata, download (seeded images are drawn on the fly), multipart upload."""

import hashlib
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

import httpx

from .answers import (
    ApiError,
    Item,
    check_content_type,
    json_answer,
    not_found,
    offset_page,
    written,
)
from .images import png_for
from .model import MediaFile
from .products import write_model, write_product
from .routes import Call, Router
from .seed import MEDIA_PATH, is_seeded_media

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "txt": "text/plain",
}


def find(call: Call, code: str) -> MediaFile:
    catalogue = call.catalogue
    media = catalogue.media.get(code)
    if media is not None:
        return media
    if not is_seeded_media(catalogue.seed, code):
        raise not_found(code)
    name = code.rpartition("/")[2].partition("_")[2]
    extension = name.rpartition(".")[2]
    if extension == "png":
        content = png_for(code)
    else:
        content = f"Documentation for {name}, from the PIM simulator.\n".encode()
    return MediaFile(code, name, _TYPES.get(extension, "application/octet-stream"), content)


def metadata(call: Call, media: MediaFile) -> Item:
    return {
        "_links": {"download": {"href": call.link(f"{MEDIA_PATH}/{media.code}/download")}},
        "code": media.code,
        "original_filename": media.original_filename,
        "mime_type": media.mime_type,
        "size": len(media.content),
        "extension": media.extension,
    }


def get_media(call: Call) -> httpx.Response:
    return json_answer(200, metadata(call, find(call, call.params["code"])))


def download(call: Call) -> httpx.Response:
    media = find(call, call.params["code"])
    return httpx.Response(
        200,
        headers={
            "Content-Type": media.mime_type,
            "Content-Disposition": f'attachment; filename="{media.original_filename}"',
        },
        content=media.content,
    )


def list_media(call: Call) -> httpx.Response:
    items = [metadata(call, media) for media in call.catalogue.media.values()]
    return offset_page(call.request, call.pim.url, items, lambda item: item)


def _parts(request: httpx.Request) -> dict[str, Message]:
    check_content_type(request, "multipart/form-data")
    if len(request.content) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    parts: dict[str, Message] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            parts[name] = part
    return parts


def upload(call: Call) -> httpx.Response:
    """``product`` (or ``product_model``) names the value to set, ``file`` is its content."""
    parts = _parts(call.request)
    target_name = "product" if "product" in parts else "product_model"
    if target_name not in parts or "file" not in parts:
        raise ApiError(422, 'Property "product" or "product_model" and "file" are required.')
    try:
        target = json.loads(parts[target_name].get_payload(decode=True) or b"")
    except ValueError:
        raise ApiError(400, "Invalid json message received") from None
    if not isinstance(target, dict) or not isinstance(target.get("attribute"), str):
        raise ApiError(422, f'Property "{target_name}" expects a JSON object with "attribute".')
    file_part = parts["file"]
    content = file_part.get_payload(decode=True) or b""
    filename = file_part.get_filename() or "file"
    digest = hashlib.sha1(content + filename.encode()).hexdigest()
    code = f"{digest[0]}/{digest[1]}/{digest[2]}/{digest[3]}/{digest}_{filename}"
    extension = filename.rpartition(".")[2].lower()
    media = MediaFile(
        code, filename, file_part.get_content_type() or _TYPES.get(extension, ""), content
    )
    attribute = call.catalogue.attributes.get(target["attribute"])
    if attribute is None or attribute["type"] not in {"pim_catalog_image", "pim_catalog_file"}:
        raise ApiError(
            422, f'Attribute "{target["attribute"]}" does not exist or is not a media attribute.'
        )
    value = {
        target["attribute"]: [
            {"locale": target.get("locale"), "scope": target.get("scope"), "data": code}
        ]
    }
    call.catalogue.media[code] = media
    try:
        if target_name == "product":
            key = target.get("uuid") or call.catalogue.identifiers.get(
                str(target.get("identifier"))
            )
            if key not in call.catalogue.products:
                raise ApiError(422, "The product does not exist.")
            write_product(call, key, {"values": value})
        else:
            if target.get("code") not in call.catalogue.product_models:
                raise ApiError(422, "The product model does not exist.")
            write_model(call, target["code"], {"values": value})
    except ApiError:
        del call.catalogue.media[code]
        raise
    return written(201, call.link(f"{MEDIA_PATH}/{code}"))


def register(router: Router) -> None:
    router.add("GET", MEDIA_PATH, "read_products", "list media files", list_media)
    router.add("POST", MEDIA_PATH, "write_products", "create or update media files", upload)
    router.add(
        "GET", f"{MEDIA_PATH}/{{code*}}/download", "read_products", "download media files", download
    )
    router.add("GET", f"{MEDIA_PATH}/{{code*}}", "read_products", "list media files", get_media)
