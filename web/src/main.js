import { createApp } from "vue";
import "bulma/css/bulma.min.css";
import "@fortawesome/fontawesome-free/css/all.min.css";
import "./style.css";
import App from "./App.vue";

createApp(App).mount("#app");
