import type { Page } from 'playwright-core';

/** What a reader sees of one uPlot chart: its axis titles, its tick labels and how many values it draws. */
export interface ChartFacts {
  id: string;
  width: number;
  axisLabels: string[];
  /** Tick labels per axis, as drawn (empty strings left out). */
  ticks: string[][];
  /** Non-null values over all series but x. */
  values: number;
  /** Series names (legend). */
  series: string[];
}

export interface PageFacts {
  scrollWidth: number;
  innerWidth: number;
  /** Elements sticking out of the viewport on the right, outside any scrolling container. */
  overflowing: string[];
  charts: ChartFacts[];
}

/**
 * Measures a page the way a person would check it: does anything stick out sideways, and is every
 * chart drawn with labelled axes and more than a handful of points. `registry` is the global that
 * holds the page's uPlot instances by container id.
 */
export async function pageFacts(page: Page, registry: string): Promise<PageFacts> {
  return page.evaluate((name) => {
    const scrolls = (el: Element | null): boolean => {
      for (let e = el?.parentElement; e; e = e.parentElement) {
        const o = getComputedStyle(e).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
      }
      return false;
    };
    const overflowing: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > innerWidth + 1 && !scrolls(el)) overflowing.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} right ${Math.round(r.right)}`);
    }
    const registryValue = name.split('.').reduce((o: any, k) => o?.[k], window as any) ?? {};
    const charts = Object.entries(registryValue as Record<string, any>).map(([id, u]) => ({
      id,
      width: u.width,
      axisLabels: u.axes.map((a: any) => String(a.label ?? '')),
      ticks: u.axes.map((a: any) => ((a._values ?? []) as unknown[]).filter((v) => v !== null && v !== '').map(String)),
      values: (u.data as unknown[][]).slice(1).reduce((n, s) => n + s.filter((v) => v !== null && v !== undefined).length, 0),
      series: u.series.slice(1).map((s: any) => String(s.label)),
    }));
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, overflowing, charts };
  }, registry);
}
