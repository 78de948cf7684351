// Text drawn too close to the colour behind it: [text, ratio, needed]
// for each element whose own text falls below the WCAG 2 contrast
// ratio (4.5:1; 3:1 for large text: 24px, or 18.66px bold). The
// background is the element's and its ancestors' background colours,
// composited down to the first opaque one; the ink is the text colour
// with the opacity of the element and of those ancestors. Text over an
// image or a gradient is left to axe. If no text could be checked at
// all, that is reported too, so the check cannot pass by checking
// nothing.
const probe = document.createElement('canvas').getContext('2d', {
  willReadFrequently: true});
const known = new Map();
// Any CSS colour (rgb(), color(srgb ...), oklab(), ...) as sRGB 0-255
// and alpha 0-1, as the browser paints it.
const rgba = text => {
  if (!known.has(text)) {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = text;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
    known.set(text, [r, g, b, a / 255]);
  }
  return known.get(text);
};
const over = ([r, g, b, a], [R, G, B]) =>
  [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
const luminance = rgb => {
  const [r, g, b] = rgb.map(c => {
    c /= 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
// [the background colour behind the element, the opacity of the
// element and its ancestors above that background], or null.
const behind = element => {
  const layers = [];
  let opacity = 1;
  for (let e = element; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (style.backgroundImage !== 'none') return null;
    const colour = rgba(style.backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] === 1) break;
    opacity *= parseFloat(style.opacity);
  }
  const base = layers.reverse().reduce((below, layer) => over(layer, below),
                                       [255, 255, 255]);
  return [base, opacity];
};
const found = [];
let checked = 0;
for (const element of document.body.querySelectorAll('*')) {
  const text = [...element.childNodes]
    .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent)
    .join('').trim();
  if (!text || element.closest('mjx-assistive-mml, .visually-hidden,'
                               + ' .sr-only, script, style')) continue;
  if (!element.checkVisibility({opacityProperty: true,
                                visibilityProperty: true})) continue;
  const style = getComputedStyle(element);
  const layer = behind(element);
  if (!layer) continue;
  const [background, opacity] = layer;
  const [r, g, b, a] = rgba(style.color);
  const ink = over([r, g, b, a * opacity], background);
  const [light, dark] = [luminance(ink), luminance(background)]
    .sort((x, y) => y - x);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
  const needed = large ? 3 : 4.5;
  checked += 1;
  if (!(ratio >= needed)) {  // NaN too
    found.push([text.slice(0, 40), +ratio.toFixed(2), needed]);
  }
}
if (checked === 0) found.push(['no text checked', 0, 4.5]);
return found;
