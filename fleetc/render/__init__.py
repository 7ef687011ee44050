"""``fleetc render``: the desired graph as plain Kubernetes manifests, for Argo CD or Flux."""

from fleetc.render.layout import RenderedFile, render_graph
from fleetc.render.write import RenderReport, write_region

__all__ = ["RenderReport", "RenderedFile", "render_graph", "write_region"]
