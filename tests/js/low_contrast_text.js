// Text drawn too close to the colour behind it: [text, ratio, needed]
// for each element whose own text falls below the WCAG contrast ratio
// (4.5:1; 3:1 for large text). The background is the element's and its
// ancestors' background colours, composited down to the first opaque
// one; text over an image or a gradient is left to the full audit.
const rgba = text => {
  const [r, g, b, a = 1] = text.match(/[\d.]+/g).map(Number);
  return [r, g, b, a];
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
const behind = element => {
  const layers = [];
  for (let e = element; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (style.backgroundImage !== 'none') return null;
    const colour = rgba(style.backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] === 1) break;
  }
  return layers.reverse().reduce((base, layer) => over(layer, base),
                                 [255, 255, 255]);
};
const found = [];
for (const element of document.body.querySelectorAll('*')) {
  const text = [...element.childNodes]
    .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent)
    .join('').trim();
  if (!text || element.closest('mjx-assistive-mml, .visually-hidden,'
                               + ' .sr-only, script, style')) continue;
  if (!element.checkVisibility({opacityProperty: true,
                                visibilityProperty: true})) continue;
  const style = getComputedStyle(element);
  const background = behind(element);
  if (!background) continue;
  const ink = over(rgba(style.color), background);
  const [light, dark] = [luminance(ink), luminance(background)]
    .sort((a, b) => b - a);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
  const needed = large ? 3 : 4.5;
  if (ratio < needed - 0.01) {
    found.push([text.slice(0, 40), +ratio.toFixed(2), needed]);
  }
}
return found;
