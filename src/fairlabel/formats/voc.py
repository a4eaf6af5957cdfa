"""Pascal VOC: a zip of Annotations/<stem>.xml and the ImageSets/Main/default.txt list."""

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from xml.etree import ElementTree

from fairlabel.formats.base import ExportProject
from fairlabel.formats.images import ImageArchiveFormat, ImageRef, LabelIndex, Shape
from fairlabel.formats.registry import register
from fairlabel.formats.zipstream import ZipStream


@register
class VocFormat(ImageArchiveFormat):
    name = "voc"
    description = (
        "Pascal VOC: Annotations/<image stem>.xml with one bndbox per object (polygons as "
        "their bounding boxes) and ImageSets/Main/default.txt"
    )
    folder = "Annotations"
    suffix = ".xml"

    def label_file(
        self, project: ExportProject, image: ImageRef, shapes: list[Shape], labels: LabelIndex
    ) -> bytes:
        root = ElementTree.Element("annotation")
        _text(root, "folder", "JPEGImages")
        _text(root, "filename", image.file_name)
        source = ElementTree.SubElement(root, "source")
        _text(source, "database", "fairlabel")
        _text(source, "annotation", project.name)
        size = ElementTree.SubElement(root, "size")
        for tag, value in (("width", image.width), ("height", image.height), ("depth", 3)):
            _text(size, tag, str(value))
        _text(root, "segmented", "0")
        for shape in shapes:
            _add_object(root, image, shape)
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)

    def extra_files(
        self, project: ExportProject, archive: ZipStream, labels: LabelIndex
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        """Stems are read back from the archive's own index, so no list is kept twice."""
        names = archive.names(self.folder)
        yield "ImageSets/Main/default.txt", (f"{PurePosixPath(n).stem}\n".encode() for n in names)


def _add_object(root: ElementTree.Element, image: ImageRef, shape: Shape) -> None:
    """An object with its box clipped to the image; one wholly outside the image is left out."""
    corners = shape.clipped(image)
    if corners is None:
        return
    element = ElementTree.SubElement(root, "object")
    for tag, text in (("name", shape.label), ("pose", "Unspecified")):
        _text(element, tag, text)
    for tag in ("truncated", "difficult"):
        _text(element, tag, "0")
    box = ElementTree.SubElement(element, "bndbox")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), corners, strict=True):
        _text(box, tag, _number(value))


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def _number(value: float) -> str:
    """Shortest text that reads back as the same number; integral values without '.0'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
