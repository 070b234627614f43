// The functions a V8 CPU profile (node --cpu-prof) spent most of its samples in, by self time.
import { readFile } from 'node:fs/promises'

type ProfileNode = { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }
type Profile = { nodes: ProfileNode[]; samples: number[] }

export type Hotspot = { function: string; location: string; selfShare: number }

/** The `top` functions by self time, each with its share of all samples (idle and GC included). */
export async function hotspots(profileFile: string, top = 20): Promise<Hotspot[]> {
  const profile = JSON.parse(await readFile(profileFile, 'utf8')) as Profile
  const samplesPerNode = new Map<number, number>()
  for (const id of profile.samples) samplesPerNode.set(id, (samplesPerNode.get(id) ?? 0) + 1)
  const perFunction = new Map<string, Hotspot>()
  for (const node of profile.nodes) {
    const samples = samplesPerNode.get(node.id) ?? 0
    if (samples === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const location = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|dist)\//, '$1/')}:${lineNumber + 1}` : ''
    const key = `${functionName}@${location}`
    const entry = perFunction.get(key) ?? { function: functionName || '(anonymous)', location, selfShare: 0 }
    entry.selfShare += samples / profile.samples.length
    perFunction.set(key, entry)
  }
  return [...perFunction.values()].sort((a, b) => b.selfShare - a.selfShare).slice(0, top)
}
