// One place that binds htm to Preact's h, for every component module.
import {h} from './vendor/preact.mjs';
import htm from './vendor/htm.mjs';

export const html = htm.bind(h);
