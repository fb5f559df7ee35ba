// The book's own renderer of stored ipywidgets (built into ../widgets/widgets.js by `make widgets-js`).
//
// A chapter that shows a widget stores the widget's last state in the page (myst-nb writes it as
// <script type="application/vnd.jupyter.widget-state+json"> once per page, and one
// <script type="application/vnd.jupyter.widget-view+json"> where each widget was displayed). This file
// draws those views with the ipywidgets 8 classes themselves (@jupyter-widgets/base and /controls, so
// the DOM and the CSS are those of JupyterLab), and nothing else: the book's stored widgets use only
// base and controls models (model version 2.0.0) and one Output model. The general embedder
// (@jupyter-widgets/html-manager's embed-amd.js, 3.6 MB) also carries RequireJS loading, the
// ipywidgets 7 classes, JupyterLab's rendermime and Font Awesome; the theme's Font Awesome 6 stylesheet
// draws the buttons' `fa fa-*` icons. There is no kernel: the picture is the stored state, and the live
// widget (_static/playground/live.mjs) takes its place when the book's Python worker is ready.
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import * as controls from "@jupyter-widgets/controls";
import { Widget } from "@lumino/widgets";

const STATE = "application/vnd.jupyter.widget-state+json";
const VIEW = "application/vnd.jupyter.widget-view+json";

// The Output widget's stored outputs (display data and streams), drawn without JupyterLab's rendermime.
class OutputModel extends base.DOMWidgetModel {
  defaults() {
    return { ...super.defaults(), _model_name: "OutputModel", _view_name: "OutputView",
             _model_module: "@jupyter-widgets/output", _view_module: "@jupyter-widgets/output",
             _model_module_version: "1.0.0", _view_module_version: "1.0.0", outputs: [], msg_id: "" };
  }
}

class OutputView extends base.DOMWidgetView {
  render() {
    this.el.classList.add("jupyter-widgets-output-area", "widget-output");
    this.listenTo(this.model, "change:outputs", () => this.draw());
    this.draw();
  }

  draw() {
    this.el.replaceChildren(...(this.model.get("outputs") || []).map(outputElement));
  }
}

function text(value) {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

function outputElement(output) {
  const box = document.createElement("div");
  box.className = "jp-OutputArea-output";
  const data = output.data || {};
  if (output.output_type === "stream") {
    const pre = document.createElement("pre");
    pre.textContent = text(output.text);
    box.append(pre);
  } else if (data["text/html"] !== undefined) {
    box.classList.add("jp-RenderedHTMLCommon");
    box.innerHTML = text(data["text/html"]);  // the book's own stored output
  } else if (data["image/png"] !== undefined) {
    const img = document.createElement("img");
    img.src = "data:image/png;base64," + text(data["image/png"]).trim();
    img.alt = text(data["text/plain"]);
    box.append(img);
  } else if (data["text/plain"] !== undefined) {
    const pre = document.createElement("pre");
    pre.textContent = text(data["text/plain"]);
    box.append(pre);
  }
  return box;
}

const MODULES = {
  "@jupyter-widgets/base": base,
  "@jupyter-widgets/controls": controls,
  "@jupyter-widgets/output": { OutputModel, OutputView },
};

class StoredStateManager extends ManagerBase {
  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !module[className]) {
      throw new Error(`widget class ${moduleName}@${moduleVersion} ${className} is not in the book's widgets.js`);
    }
    return module[className];
  }

  async _create_comm() {
    return { on_msg() {}, on_close() {}, send() { return ""; }, open() { return ""; }, close() { return ""; } };
  }

  async _get_comm_info() {
    return {};
  }
}

async function renderStoredWidgets() {
  const stateScript = document.querySelector(`script[type="${STATE}"]`);
  if (!stateScript) return;
  const manager = new StoredStateManager();
  await manager.set_state(JSON.parse(stateScript.textContent));
  for (const script of document.querySelectorAll(`script[type="${VIEW}"]`)) {
    const { model_id: id } = JSON.parse(script.textContent);
    const area = document.createElement("div");
    area.className = "widget-subarea";
    script.before(area);
    try {
      const view = await manager.create_view(await manager.get_model(id));
      Widget.attach(view.luminoWidget, area);
    } catch (err) {
      console.error(`widget ${id}: ${err.message}`);
    }
  }
}

function addStylesheet() {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("widgets.css", document.currentScript.src).href;
  document.head.append(link);
}

addStylesheet();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", renderStoredWidgets);
} else {
  renderStoredWidgets();
}
