// Entry point: builds the one App model, mounts the window and starts talking to the shell.
import { mount } from "svelte";
import "./app.css";
import Root from "./Root.svelte";
import { App } from "./lib/app.svelte";

const app = new App();
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
mount(Root, { target, props: { app } });
void app.start();
