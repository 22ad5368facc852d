// Sliders for the picture adjustments, and the page's own approximation of a change while a slider
// moves. rpicam-vid takes these only at start (it has no runtime control interface, see
// docs/camera-settings.md), so each change restarts the camera: the page shows a CSS filter over
// the picture meanwhile, labelled as a preview, and applies the value once, on release. Pure.

export interface SliderSpan {
  min: number;
  max: number;
  step: number;
}

/**
 * The settings that get a slider, with the span it covers: the useful part of the schema's range
 * (contrast, saturation and sharpness take up to 15.99, but beyond 4 the picture is unusable); the
 * number box beside takes the whole range.
 */
export const SLIDERS: Readonly<Record<string, SliderSpan>> = {
  'camera.brightness': { min: -1, max: 1, step: 0.05 },
  'camera.contrast': { min: 0, max: 4, step: 0.05 },
  'camera.saturation': { min: 0, max: 4, step: 0.05 },
  'camera.sharpness': { min: 0, max: 4, step: 0.1 },
  'camera.ev': { min: -4, max: 4, step: 0.25 },
};

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
const fixed = (x: number) => String(Math.round(x * 1000) / 1000);

/**
 * The CSS filter that approximates `value` over a picture made with `current`, or '' when the
 * browser has nothing like it (sharpness). libcamera's brightness adds an offset and CSS's
 * multiplies; contrast and saturation scale both ways; EV is in stops of exposure (about a factor of
 * 2^(1/2.2) in brightness after gamma). Close enough to judge a direction, not a value.
 */
export function previewFilter(path: string, value: number, current: number): string {
  switch (path) {
    case 'camera.brightness':
      return `brightness(${fixed(clamp(1 + 1.5 * (value - current), 0, 3))})`;
    case 'camera.contrast':
      return `contrast(${fixed(current > 0 ? value / current : value)})`;
    case 'camera.saturation':
      return `saturate(${fixed(current > 0 ? value / current : value)})`;
    case 'camera.ev':
      return `brightness(${fixed(2 ** ((value - current) / 2.2))})`;
    default:
      return '';
  }
}
